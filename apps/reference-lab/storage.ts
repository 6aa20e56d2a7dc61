/**
 * The reference lab's storage on maxdata: the pools `tank` (main storage) and `fast` (system
 * and fast VMs), their datasets, sanoid snapshot policies, syncoid replication fast → tank, and
 * the host's ZFS settings (ARC 16 GiB max / 4 GiB min, scrub monthly, TRIM weekly).
 */
import { Annotations, Disk, Host, PartitionType, Size, SnapshotPolicy, VdevLayout, ZfsDataset, ZfsPool, ZfsSettings } from '../../lib';

/** The storage constructs of the reference lab. */
export interface ReferenceStorage {
  readonly tank: ZfsPool;
  readonly fast: ZfsPool;
  /** `tank/vms/my-app`, the dataset of my-app-vm. */
  readonly myAppDataset: ZfsDataset;
  readonly production: SnapshotPolicy;
  readonly zfs: ZfsSettings;
  /** `tank/vzdump`, where the VM backups go. */
  readonly vzdumpDataset: ZfsDataset;
}

/** Adds maxdata's pools, datasets, snapshot policies, replication and ZFS settings. */
export function addStorage(maxdata: Host): ReferenceStorage {
  // Disk ids are EXAMPLE values: replace each with the real one from `ls -l /dev/disk/by-id/`.
  const hdds = ['WD-WX12D1A0001', 'WD-WX12D1A0002', 'WD-WX12D1A0003', 'WD-WX12D1A0004'].map((serial) =>
    Disk.byId(`/dev/disk/by-id/ata-WDC_WD40EFPX-68C6CN0_${serial}`, { size: Size.terabytes(4), description: 'WD Red Plus 4 TB' }),
  );
  const ssds = ['S6PNNS0T100001A', 'S6PNNS0T100002B'].map((serial) =>
    Disk.byId(`/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_${serial}`, { size: Size.terabytes(1), description: 'Samsung 870 EVO 1 TB' }),
  );
  const nvme = Disk.byId('/dev/disk/by-id/nvme-Samsung_SSD_980_PRO_1TB_S5GXNX0T300003C', { size: Size.terabytes(1), description: 'Samsung 980 PRO 1 TB' });

  // Each SSD: 400 GB special, 100 GB log, the rest (about 500 GB) cache.
  const [special, log, cache] = [Size.gigabytes(400), Size.gigabytes(100), undefined].map((size) => ssds.map((ssd) => ssd.addPartition({ size })));
  // The NVMe: the EFI system partition (/boot), then the pool `fast`.
  nvme.addPartition({ size: Size.gibibytes(1), type: PartitionType.EFI_SYSTEM, mountpoint: '/boot' });
  const fastPartition = nvme.addPartition();

  const zfs = new ZfsSettings(maxdata, 'zfs', {
    arcMax: Size.gibibytes(16),
    arcMin: Size.gibibytes(4),
    // The lab's facts ask for L2ARC write tuning without values: feed the SSD cache faster than
    // ZFS's conservative default, and faster still while it is cold after a boot.
    l2arc: { writeMax: Size.mebibytes(64), writeBoost: Size.mebibytes(128) },
    scrub: 'monthly',
    trim: 'weekly',
  });

  const production = new SnapshotPolicy(maxdata, 'production', { hourly: 36, daily: 30, monthly: 3 });
  // Replicas arrive with the source's snapshots: keep them longer, take none here.
  const backup = new SnapshotPolicy(maxdata, 'backup', { hourly: 30, daily: 90, monthly: 12, autosnap: false });

  const tank = new ZfsPool(maxdata, 'tank');
  tank.addDataVdev({ layout: VdevLayout.RAIDZ1, devices: hdds });
  tank.addSpecialVdev({ devices: special, smallBlocks: Size.kibibytes(32) });
  tank.addLogVdev({ devices: log });
  const l2arc = tank.addCacheVdev({ devices: cache });
  // The lab's facts: the L2ARC is not mirrored (losing it loses only cached copies).
  Annotations.of(l2arc).acknowledgeWarning('homelab-cdk:l2arc-unmirrored', 'a cache device holds no data of its own');
  const vms = tank.addDataset('vms');
  const myAppDataset = vms.addDataset('my-app', { storageId: 'my-app' });
  myAppDataset.snapshot(production);
  // Proxmox's vzdump archives of the VMs (a directory storage on tank, see compute.ts); the
  // archives are compressed already.
  const vzdump = tank.addDataset('vzdump', { compression: 'off' });
  // Replicas are not mounted: they hold copies of other pools' file systems (fast's root, say).
  const backups = tank.addDataset('backup', { mountpoint: 'none' });
  backups.snapshot(backup, { recursive: true });

  const fast = new ZfsPool(maxdata, 'fast', { mountpoint: 'none' });
  fast.addDataVdev({ layout: VdevLayout.STRIPE, devices: [fastPartition] });
  fast.addDataset('root', { mountpoint: '/' });
  fast.addDataset('nix', { mountpoint: '/nix' });
  fast.snapshot(production, { recursive: true });
  fast.replicateTo(backups, { schedule: 'hourly' });

  return { tank, fast, myAppDataset, production, zfs, vzdumpDataset: vzdump };
}
