/**
 * Everything the library is made of, including what is not public API: the helpers the
 * projections, the CLI, the tests and the tools share (`perValidationRun`, `chartOwners`,
 * `stableJson`, `NIX_RENDERERS`, the address and name checks, …). `homelab-cdk/internal` makes
 * no stability promise: a name here may change in any release. Apps use `homelab-cdk`,
 * `homelab-cdk/terraform` and `homelab-cdk/kubernetes`.
 *
 * @internal
 * @module homelab-cdk/internal
 */
// Everything public first, so that a construct exported from lib/index.ts is here without a line
// of its own; the modules below add the names that are not public.
export * from './index';
export * from './kubernetes';
export * from './terraform';
// core: the lab, its network, validation, secrets, output
export * from './core/addressing';
export { calendarEventProblem, isCalendarEvent } from './core/calendar';
export * from './core/diagram-part';
export * from './core/dns';
export * from './core/homelab';
export * from './core/host-role';
export * from './core/summary-part';
export * from './core/memory';
export * from './core/names';
export * from './core/order';
export * from './core/network';
export * from './core/network-endpoint';
export * from './core/output-file';
export { assertSafeRelativePath, describeRecovery, MANIFEST_FILE, OutputOptions, OutputPlan, OutputRecovery, planOutput, recoverOutput, TRANSACTION_FOLDER, writeOutput } from './core/output-writer';
export * from './core/ports';
export * from './core/secret';
export * from './core/size';
export * from './core/validation';
export * from './core/problems';
export * from './core/kind';

// hosts
export * from './hosts/hardware-profile';
export * from './hosts/host';
export * from './hosts/ssh-public-key';
export * from './hosts/user';

// network: DHCP and DNS, Wake-on-LAN
export * from './network/dnsmasq';
export * from './network/dnsmasq-lease';
export * from './network/reachability-check';
export * from './network/wake-on-lan';
// cluster: k3s and its workloads
export * from './cluster/adguard-home';
export * from './cluster/cluster-chart';
export * from './cluster/k3s-cluster';
export * from './cluster/k3s-node';
export type { IKubernetesWorkload, KubernetesPatch, KubernetesPatchOperation, TargetedKubernetesPatch } from './cluster/kubernetes-workload';
export { isKubernetesWorkload } from './cluster/kubernetes-workload';
// storage: ZFS pools, vdevs, datasets, snapshots, replication
export * from './storage/cache-vdev';
export * from './storage/capacity';
export * from './storage/health';
export * from './storage/data-vdev';
export * from './storage/disk';
export * from './storage/log-vdev';
export * from './storage/snapshot-policy';
export * from './storage/special-vdev';
export * from './storage/vdev';
export * from './storage/zfs-dataset';
export * from './storage/zfs-dataset-base';
export * from './storage/zfs-pool';
export * from './storage/zfs-properties';
export * from './storage/zfs-replication';
export * from './storage/zfs-settings';
export * from './storage/zfs-storage';
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
export * from './nix/flake-monitoring';
export * from './nix/nix-flake';
export * from './nix/nix-projection';
export * from './core/nix-value';
export * from './nix/renderers';
export { renderTemplate, shellQuote } from './nix/templates';
export { k3sSettings, SOPS_NIX_INPUT } from './nix/renderers/cluster/k3s';
export * from './k8s/adguard-home-chart';
export * from './k8s/adguard-home-config';
export * from './k8s/kubernetes-app';
export * from './k8s/on-host';
export * from './terraform/proxmox/download-file.generated';
export * from './terraform/proxmox/provider.generated';
export * from './terraform/proxmox/virtual-environment-file.generated';
export * from './terraform/proxmox/virtual-environment-vm.generated';
export * from './terraform/proxmox-terraform-stack';
export * from './terraform/terraform-projection';

// synthesis
export * from './synth/app-loader';
export * from './synth/cli';
export * from './synth/diagram';
export * from './synth/diff';
export * from './synth/projections';
export * from './synth/summary';
export * from './synth/synthesize';
// operations: monitoring, off-site backups
export * from './operations/backup-remote';
export * from './operations/backup-retention';
export * from './operations/backup-source';
export * from './operations/monitoring';
export * from './operations/offsite-backup';
export * from './operations/schedules';
export * from './operations/vm-backup-job';
// added on main
export * from './compute/ha-group';
export * from './compute/proxmox-cluster';
export { defaultStackSettings, planStacks } from './compute/stack-plan';
export type { CloudInitProps } from './compute/vm-cloud-init';
export { CDROM_INTERFACE, DiskFormat } from './compute/vm-disk';
export type { VmDisk, VmDiskProps } from './compute/vm-disk';
export { Bios, MachineType, OsType, TpmVersion } from './compute/vm-firmware';
export type { EfiDiskProps, TpmProps, VmFirmware } from './compute/vm-firmware';
export { deriveVmMac, NicModel } from './compute/vm-nic';
export type { VmNic, VmNicProps } from './compute/vm-nic';
export * from './terraform/proxmox/backup-job.generated';
export * from './terraform/proxmox/hagroup.generated';
export * from './terraform/proxmox/haresource.generated';
export * from './terraform/proxmox/storage-lvmthin.generated';
export * from './terraform/proxmox/storage-zfspool.generated';
export type { ProxmoxStorageResource } from './terraform/proxmox-host-objects';
