/**
 * The Terraform projection (`homelab-cdk/terraform`): the app `cdktf synth` runs, the stacks it
 * builds from the model, and the typed bpg/proxmox bindings, for escape hatches on the generated
 * resources. Importing it loads cdktf.
 *
 * ```ts
 * import { App } from 'cdktf';
 * import { synthesizeTerraformApp } from 'homelab-cdk/terraform';
 * synthesizeTerraformApp(buildLab(), new App({ skipValidation: true }));
 * ```
 *
 * @module homelab-cdk/terraform
 */
export { ProxmoxTerraformStack } from './terraform/proxmox-terraform-stack';
export type { ProxmoxTerraformStackProps } from './terraform/proxmox-terraform-stack';
export { buildTerraformStacks, synthesizeTerraformApp } from './terraform/terraform-projection';
export type { ProxmoxStorageResource } from './terraform/proxmox-host-objects';
export * from './terraform/proxmox/backup-job.generated';
export * from './terraform/proxmox/download-file.generated';
export * from './terraform/proxmox/hagroup.generated';
export * from './terraform/proxmox/haresource.generated';
export * from './terraform/proxmox/storage-lvmthin.generated';
export * from './terraform/proxmox/storage-zfspool.generated';
export * from './terraform/proxmox/provider.generated';
export * from './terraform/proxmox/virtual-environment-file.generated';
export * from './terraform/proxmox/virtual-environment-vm.generated';
