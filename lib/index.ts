/**
 * homelab-cdk: a homelab described once as a typed construct tree, synthesized into a NixOS
 * flake, Terraform JSON for its Proxmox VMs and Kubernetes manifests for its cluster.
 *
 * This entry point is the model (the constructs, their props and value types) and the synthesis
 * of all three outputs. No model construct needs a format library; the Terraform and Kubernetes
 * apps of `cdktf synth` and `cdk8s synth`, which do, come from `homelab-cdk/terraform` and
 * `homelab-cdk/kubernetes`. Everything else is internal (`homelab-cdk/internal`, no stability
 * promise).
 *
 * @module homelab-cdk
 */
// core: the lab, its network, validation, secrets, sizes
export { DiagramShape } from './core/diagram-part';
export type { DiagramEdge, DiagramGroup, DiagramNode, DiagramParts, IDiagramPartHolder } from './core/diagram-part';
export { DnsUpstream } from './core/dns';
export type { DnsUpstreamProps, IDnsUpstream } from './core/dns';
export * from './core/homelab';
export type { HostRole, IHostRoleHolder } from './core/host-role';
export { SummaryPartKind } from './core/summary-part';
export type { HostSummaryPart, ISummaryPartHolder, MemoryBudgetSummaryPart, MemoryReservationSummaryPart, PoolSummaryPart, SummaryPart, VmSummaryPart } from './core/summary-part';
export type { IMemoryReservation } from './core/memory';
export { Network } from './core/network';
export type { AddressRange, DnsName, NetworkProps, OwnedDnsName } from './core/network';
export type { INetworkEndpoint } from './core/network-endpoint';
export { NixExpr } from './core/nix-value';
export type { NixAttrs, NixValue } from './core/nix-value';
export type { OutputFile } from './core/output-file';
export { planOutput, writeOutput } from './core/output-writer';
export type { OutputOptions, OutputPlan } from './core/output-writer';
export { Protocol } from './core/ports';
export type { HeldPort, IPortHolder, PortReservation } from './core/ports';
export * from './core/secret';
export * from './core/size';
export { Annotations, formatFinding, problem, Severity, validateLab, ValidationError } from './core/validation';
export type { ConstructProblem, Finding, FindingRecord, StoredWarning, ValidateOptions, ValidationReport } from './core/validation';

// hosts
export * from './hosts/hardware-profile';
export * from './hosts/host';
export type { SshPublicKeyInfo } from './hosts/ssh-public-key';
export * from './hosts/user';

// network: DHCP and DNS, Wake-on-LAN
export { DnsmasqLease } from './network/dnsmasq-lease';
export type { DnsmasqLeaseProps } from './network/dnsmasq-lease';
export { Dnsmasq } from './network/dnsmasq';
export type { DnsmasqProps, DnsRecord, StaticLease } from './network/dnsmasq';
export { ReachabilityCheck, ReachabilityKind } from './network/reachability-check';
export { WakeOnLan } from './network/wake-on-lan';
export type { WakeOnLanProps } from './network/wake-on-lan';

// cluster: k3s and its workloads
export { AdGuardHome } from './cluster/adguard-home';
export type { AdGuardHomeProps, ResourceBudget } from './cluster/adguard-home';
export { DEFAULT_K3S_VERSION, K3sCluster, K3sComponent } from './cluster/k3s-cluster';
export type { K3sClusterProps } from './cluster/k3s-cluster';
export * from './cluster/k3s-node';
export { ClusterChart } from './cluster/cluster-chart';
export type { ClusterChartContext, ClusterChartProps } from './cluster/cluster-chart';
export type { IKubernetesWorkload, KubernetesPatch, KubernetesPatchOperation, TargetedKubernetesPatch } from './cluster/kubernetes-workload';

// storage: ZFS pools, vdevs, datasets, snapshots, replication
export * from './storage/cache-vdev';
export { poolSummary, recommendedSpecialCapacity, SPECIAL_VDEV_RULE, specialCapacity, usableCapacity, vdevCapacity } from './storage/capacity';
export type { SpecialVdevRule } from './storage/capacity';
export * from './storage/data-vdev';
export { Disk, DiskPartition, PartitionType } from './storage/disk';
export type { DiskPartitionProps, DiskProps, StorageDevice } from './storage/disk';
export * from './storage/log-vdev';
export * from './storage/snapshot-policy';
export * from './storage/special-vdev';
export { Vdev, VdevLayout, VdevRole } from './storage/vdev';
export type { IVdevPool } from './storage/vdev';
export * from './storage/zfs-dataset';
export { ZfsDatasetBase } from './storage/zfs-dataset-base';
export type { ReplicateToOptions, SnapshotAssignment, SnapshotOptions, ZfsDatasetBaseProps } from './storage/zfs-dataset-base';
export * from './storage/zfs-pool';
export type { ZfsDatasetOptions } from './storage/zfs-properties';
export * from './storage/zfs-replication';
export * from './storage/zfs-settings';
export { DEFAULT_VOLBLOCKSIZE } from './storage/zfs-storage';
export type { IZfsStorage, ZfsVolumeUse } from './storage/zfs-storage';

// compute: Proxmox VE hosts, storages, VMs
export { BootKind, BootSource } from './compute/boot-source';
export type { BootSourceDetails, CloneBootDetails, CloneExistingOptions, CloneOptions, CloudImageBootDetails, DiskBootDetails, ExistingCloneBootDetails, IsoBootDetails, IsoOptions, TemplateCloneBootDetails } from './compute/boot-source';
export { NIXOS_ANYWHERE_MODULE_SOURCE, NIXOS_ANYWHERE_RELEASE } from './compute/nixos-anywhere';
export { hostKeyFile, HOST_KEY_PATH_ON_HOST } from './core/host-key';
export type { NixosAnywhereInstall, NixosAnywhereOptions } from './compute/nixos-anywhere';
export * from './compute/bridge';
export { ProxmoxHost } from './compute/proxmox-host';
export type { CockpitProps, MemoryBudget, ProxmoxHostProps } from './compute/proxmox-host';
export { ProxmoxStack, StateBackend } from './compute/proxmox-stack';
export type { ProxmoxStackProps, StackSettings, TerraformOverride } from './compute/proxmox-stack';
export { ProxmoxStorage, StorageBacking, StorageDeclaration, StorageType } from './compute/proxmox-storage';
export type { DirectoryBackingDetails, DirectoryBackingOptions, ExistingBackingDetails, IZfsStorageBacking, LvmThinBackingDetails, LvmThinBackingProps, ProxmoxStorageProps, StorageBackingDetails, ZfsBackingDetails, ZfsBackingOptions } from './compute/proxmox-storage';
export * from './compute/ha-group';
export * from './compute/proxmox-cluster';
export { ProxmoxVm } from './compute/proxmox-vm';
export type { ProxmoxVmProps, StartupProps, VmAdoption, VmAdoptionProps } from './compute/proxmox-vm';
export { StorageContent } from './compute/storage-content';
export type { CloudInitProps } from './compute/vm-cloud-init';
export { DiskFormat } from './compute/vm-disk';
export type { VmDisk, VmDiskProps } from './compute/vm-disk';
export { Bios, MachineType, OsType, TpmVersion } from './compute/vm-firmware';
export type { EfiDiskProps, TpmProps, VmFirmware } from './compute/vm-firmware';
export { NicModel } from './compute/vm-nic';
export type { VmNic, VmNicProps } from './compute/vm-nic';
export * from './compute/vm-family';
export { ImageKind, VmImage } from './compute/vm-image';
export type { ImageChecksum, VmImageProps } from './compute/vm-image';

// operations: monitoring, off-site backups, VM backups
export { BackupCredentialKind, BackupRemote, BackupRemoteKind } from './operations/backup-remote';
export type { BackupCredentials, S3RemoteProps, SftpRemoteProps, WebdavRemoteProps } from './operations/backup-remote';
export { BackupRetention, RETENTION_PERIODS } from './operations/backup-retention';
export type { BackupRetentionProps, RetentionPeriod } from './operations/backup-retention';
export * from './operations/backup-source';
export * from './operations/monitoring';
export { OffsiteBackup } from './operations/offsite-backup';
export type { OffsiteBackupProps, RestoreTestProps } from './operations/offsite-backup';
export * from './operations/vm-backup-job';

// synthesis: all three outputs at once, and what `homelab diff`, `diagram` and `runbook` print
export { diffLab } from './synth/diff';
export type { FileChange, LabDiff } from './synth/diff';
export { labDiagram } from './synth/diagram';
export { formatSummary, summarizeLab } from './synth/summary';
export type { HostSummary, LabSummary, MemoryBudgetSummary, MemoryReservationSummary, OutputSummary, PoolSummaryEntry, SizeSummary, VmSummary } from './synth/summary';
export type { Projection } from './core/projection';
export { planSynth, renderLab, synthesize, validateForSynthesis } from './synth/synthesize';
export type { RenderedLab, SynthOptions, SynthResult, SynthValidateOptions } from './synth/synthesize';
