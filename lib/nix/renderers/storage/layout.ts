/**
 * The disk layout of a host's pools, as the two pool-creation outputs need it: which disks are
 * used, how each is partitioned, and what each partition is for. Shared by the disko
 * configuration and `scripts/create-pools-<host>.sh`, so that both lay out the same partitions.
 */
import { Host } from '../../../hosts/host';
import { Disk, diskOf, DiskPartition, PartitionType, StorageDevice } from '../../../storage/disk';
import { Vdev, VdevLayout, VdevRole } from '../../../storage/vdev';
import { ZfsPool } from '../../../storage/zfs-pool';
import { byText } from '../../../core/order';
import type { IConstruct } from 'constructs';
import { perValidationRun } from '../../../core/validation';
import { ZfsDatasetBase } from '../../../storage/zfs-dataset-base';
import { zfsProperties } from '../../../storage/zfs-properties';

/** A partition of a disk with what it is for. */
export interface PartitionUse {
  readonly partition: DiskPartition;
  /** A short name: `ESP`, `<pool>-<role>` (`tank-special`), or `part<N>` when unused. */
  readonly name: string;
  /** The pool it belongs to, for a ZFS partition in a vdev. */
  readonly pool?: ZfsPool;
  /** The GPT type code as sgdisk writes it. */
  readonly typeCode: string;
}

/** A disk a host's pools use, whole or partitioned. */
export interface DiskUse {
  readonly disk: Disk;
  /** The pool that has the whole disk, when it is not partitioned. */
  readonly wholeDiskPool?: ZfsPool;
  /** Its partitions, in order, when it is partitioned. */
  readonly partitions: readonly PartitionUse[];
}

/** Mount options of an EFI system partition: readable by root only, as the hardware module has them. */
export const ESP_MOUNT_OPTIONS = ['fmask=0077', 'dmask=0077'] as const;

/** The GPT type codes (sgdisk short codes). */
export const GPT_TYPE = { zfs: 'BF01', efiSystem: 'EF00' } as const;

// Keys of this module's values in a synthesis run's cache (see perValidationRun).
const POOLS = {};
const DATASETS = {};
const LAYOUTS = {};
const DATASET_PROPERTIES = {};

/** The value of `compute(key)`, computed once per synthesis run (see perValidationRun) and `key`. */
function oncePerRun<K extends IConstruct, V>(key: K, cacheKey: object, compute: (key: K) => V): V {
  const values = perValidationRun(key, cacheKey, () => new WeakMap<K, V>());
  if (values.has(key)) {
    return values.get(key)!;
  }
  const value = compute(key);
  values.set(key, value);
  return value;
}

/**
 * A host's pools, sorted by name ({@link ZfsPool.onHost}), once per host and synthesis run: the
 * storage renderers ask for them about ten times a host, each a walk of the host's children.
 */
export function poolsOf(host: Host): readonly ZfsPool[] {
  return oncePerRun(host, POOLS, ZfsPool.onHost);
}

/** A pool's datasets, the root dataset first ({@link ZfsDatasetBase.allDatasets}), once per pool and synthesis run. */
export function datasetsOf(pool: ZfsPool): readonly ZfsDatasetBase[] {
  return oncePerRun(pool, DATASETS, (p) => p.allDatasets);
}

/**
 * The disks a host's pools use, sorted by path. Once per host and synthesis run: the ZFS module,
 * disko and the pool-creation script each read it, up to four times a host (issue 17).
 */
export function diskLayout(host: Host): readonly DiskUse[] {
  return oncePerRun(host, LAYOUTS, hostDiskLayout);
}

/**
 * A pool's or dataset's own ZFS properties as `zfs create -o` and disko write them. Once per
 * dataset and synthesis run: disko, `zfs create` and `zfs set` each read them, and the
 * effective options behind them walk the pool's volumes and replications (issue 17).
 */
export function datasetProperties(dataset: ZfsDatasetBase): Readonly<Record<string, string>> {
  return oncePerRun(dataset, DATASET_PROPERTIES, (d) => zfsProperties(d.zfsOptions));
}

function hostDiskLayout(host: Host): DiskUse[] {
  const pools = poolsOf(host);
  const users = new Map<string, { pool: ZfsPool; vdev: Vdev }>();
  const disks = new Map<string, Disk>();
  for (const pool of pools) {
    for (const vdev of pool.vdevs) {
      for (const device of vdev.devices) {
        users.set(device.path, { pool, vdev });
        const disk = diskOf(device);
        disks.set(disk.path, disks.get(disk.path) ?? disk);
      }
    }
  }
  return [...disks.values()]
    .sort(byText((disk) => disk.path))
    .map((disk) => {
      const whole = users.get(disk.path);
      if (whole) {
        return { disk, wholeDiskPool: whole.pool, partitions: [] };
      }
      const names = new Set<string>();
      const partitions = disk.partitions.map((partition): PartitionUse => {
        const user = users.get(partition.path);
        let name = partition.type === PartitionType.EFI_SYSTEM ? 'ESP' : user ? `${user.pool.poolName}-${user.vdev.role}` : `part${partition.number}`;
        if (names.has(name)) {
          name = `${name}-${partition.number}`;
        }
        names.add(name);
        return {
          partition,
          name,
          pool: user?.pool,
          typeCode: partition.type === PartitionType.EFI_SYSTEM ? GPT_TYPE.efiSystem : GPT_TYPE.zfs,
        };
      });
      return { disk, partitions };
    });
}

/** A partition size as sgdisk and disko take it: whole MiB, rounded down (`381469M`). */
export function sgdiskSize(partition: DiskPartition): string | undefined {
  const size = partition.declaredSize;
  return size === undefined ? undefined : `${size.to('MiB', 'floor')}M`;
}

/** The words of a vdev in `zpool create`: `raidz1 a b c`, `mirror a b`, or the devices of a stripe. */
export function vdevWords(vdev: Vdev): string[] {
  const paths = vdev.devices.map((d: StorageDevice) => d.path);
  return vdev.layout === VdevLayout.STRIPE ? paths : [vdev.layout, ...paths];
}

/** The `zpool create` keyword of a vdev role (none for data vdevs). */
export function roleKeyword(role: VdevRole): string | undefined {
  return role === VdevRole.DATA ? undefined : role;
}
