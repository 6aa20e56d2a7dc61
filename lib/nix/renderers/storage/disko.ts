/**
 * The disko configuration of a host's pools (`disko.devices`): the disks (whole, or GPT
 * partitions with the EFI system partition), and each pool with its full topology
 * (`mode.topology` with vdev, special, log and cache), pool options, root dataset properties and
 * datasets. Devices are the model's `/dev/disk/by-id/…` paths (partitions: `…-partN`), the same
 * ones `scripts/create-pools-<host>.sh` uses.
 */
import { Host } from '../../../hosts/host';
import { PartitionType } from '../../../storage/disk';
import { Vdev, VdevLayout } from '../../../storage/vdev';
import { ZfsPool } from '../../../storage/zfs-pool';
import { zfsProperties } from '../../../storage/zfs-properties';
import { NixAttrs } from '../../nix-value';
import { datasetProperties, datasetsOf, DiskUse, diskLayout, ESP_MOUNT_OPTIONS, poolsOf, sgdiskSize } from './layout';

/** `disko.devices` for a host. */
export function diskoDevices(host: Host): NixAttrs {
  const disk: Record<string, NixAttrs> = {};
  for (const use of diskLayout(host)) {
    disk[use.disk.name] = { type: 'disk', device: use.disk.path, content: diskContent(use) };
  }
  const zpool: Record<string, NixAttrs> = {};
  for (const pool of poolsOf(host)) {
    zpool[pool.poolName] = diskoPool(pool);
  }
  return { disk, zpool };
}

function diskContent(use: DiskUse): NixAttrs {
  if (use.wholeDiskPool) {
    // ZFS gets the whole disk (and partitions it itself).
    return { type: 'zfs', pool: use.wholeDiskPool.poolName };
  }
  const partitions: Record<string, NixAttrs> = {};
  for (const p of use.partitions) {
    const partition = p.partition;
    partitions[p.name] = {
      // The partition's number: disko numbers partitions in the order of their priority.
      priority: partition.number,
      size: sgdiskSize(partition) ?? '100%',
      type: p.typeCode,
      device: partition.path,
      content:
        partition.type === PartitionType.EFI_SYSTEM
          ? { type: 'filesystem', format: 'vfat', mountpoint: partition.mountpoint, mountOptions: [...ESP_MOUNT_OPTIONS] }
          : p.pool
            ? { type: 'zfs', pool: p.pool.poolName }
            : undefined,
    };
  }
  return { type: 'gpt', partitions };
}

function diskoPool(pool: ZfsPool): NixAttrs {
  const vdev = (v: Vdev): NixAttrs => ({
    mode: v.layout === VdevLayout.STRIPE ? undefined : v.layout,
    members: v.devices.map((d) => d.path),
  });
  const datasets: Record<string, NixAttrs> = {};
  for (const dataset of datasetsOf(pool).slice(1)) {
    const options = datasetProperties(dataset);
    datasets[dataset.datasetName.slice(pool.poolName.length + 1)] = {
      type: 'zfs_fs',
      // A path NixOS needs at boot: disko declares its fileSystems entry (mountpoint=legacy).
      mountpoint: dataset.mountedByNixos ? dataset.options.mountpoint : undefined,
      options: Object.keys(options).length ? options : undefined,
    };
  }
  const poolOptions: Record<string, string> = { ashift: String(pool.ashift), ...(pool.autotrim ? { autotrim: 'on' } : {}), ...pool.poolProperties };
  return {
    type: 'zpool',
    mode: {
      topology: {
        type: 'topology',
        vdev: pool.dataVdevs.map(vdev),
        special: pool.specialVdevs.length ? pool.specialVdevs.map(vdev) : undefined,
        log: pool.logVdevs.length ? pool.logVdevs.map(vdev) : undefined,
        cache: pool.cacheVdevs.length ? pool.cacheVdevs.flatMap((v) => v.devices.map((d) => d.path)) : undefined,
      },
    },
    options: poolOptions,
    rootFsOptions: zfsProperties(pool.rootOptions),
    datasets: Object.keys(datasets).length ? datasets : undefined,
  };
}
