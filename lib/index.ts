/**
 * homelab-cdk: a homelab described once as a typed construct tree, synthesized into a NixOS
 * flake, Terraform JSON for its Proxmox VMs and Kubernetes manifests for its cluster.
 */
// core: the lab, its network, validation, secrets, output
export * from './core/addressing';
export * from './core/dns';
export * from './core/homelab';
export * from './core/memory';
export * from './core/names';
export * from './core/network';
export * from './core/network-endpoint';
export * from './core/output-file';
export * from './core/output-writer';
export * from './core/ports';
export * from './core/secret';
export * from './core/size';
export * from './core/validation';

// hosts
export * from './hosts/hardware-profile';
export * from './hosts/host';
export * from './hosts/ssh-public-key';
export * from './hosts/user';

// compute: Proxmox VE hosts, storages, VMs
export * from './compute/boot-source';
export * from './compute/bridge';
export * from './compute/proxmox-host';
export * from './compute/proxmox-stack';
export * from './compute/proxmox-storage';
export * from './compute/proxmox-vm';
export * from './compute/vm-family';
export * from './compute/vm-image';

// projections
export * from './nix/nix-flake';
export * from './nix/nix-projection';
export * from './nix/nix-value';
export * from './nix/renderers';
export { renderTemplate, shellQuote } from './nix/templates';
export * from './terraform/proxmox/download-file.generated';
export * from './terraform/proxmox/provider.generated';
export * from './terraform/proxmox/virtual-environment-file.generated';
export * from './terraform/proxmox/virtual-environment-vm.generated';
export * from './terraform/proxmox-terraform-stack';
export * from './terraform/terraform-projection';

// synthesis
export * from './synth/app-loader';
export * from './synth/cli';
export * from './synth/projections';
export * from './synth/synthesize';
