/**
 * The commands of `scripts/create-pools-<host>.sh`, built from the model: partitioning,
 * `zpool create` with the full topology, `zfs create` for each dataset, and the `zpool set` /
 * `zfs set` commands that give existing pools the model's properties.
 */
import { Host } from '../../../hosts/host';
import { PartitionType } from '../../../storage/disk';
import { VdevRole } from '../../../storage/vdev';
import { ZfsPool } from '../../../storage/zfs-pool';
import { zfsProperties } from '../../../storage/zfs-properties';
import { datasetProperties, datasetsOf, diskLayout, poolsOf, sgdiskSize, vdevWords } from './layout';

/** One command of the script, with an optional comment line before it. */
export interface ScriptStep {
  /** A comment printed above the command in the script (not when it runs). */
  readonly note: string;
  /** The command and its arguments, each one shell word. */
  readonly argv: readonly string[];
}

const step = (argv: string[], note = ''): ScriptStep => ({ note, argv });

/** The commands that lay out the disks and create the host's pools and datasets, in order. */
export function poolCreationSteps(host: Host): ScriptStep[] {
  const steps: ScriptStep[] = [];
  const layout = diskLayout(host);
  for (const use of layout) {
    const what = use.wholeDiskPool ? `whole disk of pool ${use.wholeDiskPool.poolName}` : `partitions ${use.partitions.map((p) => `${p.partition.number} ${p.name}`).join(', ')}`;
    steps.push(step(['wipefs', '--all', use.disk.path], `${use.disk.path}: ${what}`));
    if (use.partitions.length > 0) {
      steps.push(step(['sgdisk', '--zap-all', use.disk.path]));
      for (const p of use.partitions) {
        const n = p.partition.number;
        const size = sgdiskSize(p.partition);
        steps.push(step(['sgdisk', `--new=${n}:0:${size ? `+${size}` : '0'}`, `--typecode=${n}:${p.typeCode}`, `--change-name=${n}:${p.name}`, use.disk.path]));
      }
    }
  }
  if (layout.some((u) => u.partitions.length > 0)) {
    steps.push(step(['udevadm', 'settle'], 'wait for the -partN links of the new partitions'));
  }
  for (const use of layout) {
    for (const p of use.partitions) {
      if (p.partition.type === PartitionType.EFI_SYSTEM) {
        steps.push(step(['mkfs.fat', '-F', '32', p.partition.path], `EFI system partition, mounted at ${p.partition.mountpoint}`));
      }
    }
  }
  for (const pool of poolsOf(host)) {
    steps.push(step(zpoolCreate(pool), `pool ${pool.poolName}`));
    for (const dataset of datasetsOf(pool).slice(1)) {
      const options = Object.entries(datasetProperties(dataset)).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
      steps.push(step(['zfs', 'create', ...options, dataset.datasetName]));
    }
  }
  return steps;
}

/**
 * `zpool create` of a pool: `-f` (the disks were just wiped; it also accepts a single-device
 * special or log vdev the model allows), pool properties, root dataset properties, the name,
 * the data vdevs, then `special`, `log` and `cache` with theirs.
 */
export function zpoolCreate(pool: ZfsPool): string[] {
  const poolOptions = [`ashift=${pool.ashift}`, ...(pool.autotrim ? ['autotrim=on'] : []), ...Object.entries(pool.poolProperties).map(([k, v]) => `${k}=${v}`)];
  const rootOptions = Object.entries(zfsProperties(pool.rootOptions)).map(([k, v]) => `${k}=${v}`);
  const argv = ['zpool', 'create', '-f', ...poolOptions.flatMap((o) => ['-o', o]), ...rootOptions.flatMap((o) => ['-O', o]), pool.poolName];
  argv.push(...pool.dataVdevs.flatMap(vdevWords));
  for (const [role, vdevs] of [
    [VdevRole.SPECIAL, pool.specialVdevs],
    [VdevRole.LOG, pool.logVdevs],
    [VdevRole.CACHE, pool.cacheVdevs],
  ] as const) {
    if (vdevs.length > 0) {
      argv.push(role, ...vdevs.flatMap(vdevWords));
    }
  }
  return argv;
}

/** The commands that give existing pools and datasets the properties of the model. */
export function poolPropertySteps(host: Host): ScriptStep[] {
  const steps: ScriptStep[] = [];
  for (const pool of poolsOf(host)) {
    const poolOptions = { autotrim: pool.autotrim ? 'on' : 'off', ...pool.poolProperties };
    for (const [k, v] of Object.entries(poolOptions)) {
      steps.push(step(['zpool', 'set', `${k}=${v}`, pool.poolName]));
    }
    for (const dataset of datasetsOf(pool)) {
      const options = datasetProperties(dataset);
      if (Object.keys(options).length > 0) {
        steps.push(step(['zfs', 'set', ...Object.entries(options).map(([k, v]) => `${k}=${v}`), dataset.datasetName]));
      }
    }
  }
  return steps;
}
