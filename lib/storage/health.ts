/**
 * Facts about a host's storage that its health watching needs: the physical disks under its
 * pools (the disks the smartctl exporter watches) and whether the ZFS health check runs.
 */
import { Host } from '../hosts/host';
import { diskOf } from './disk';
import { ZfsPool } from './zfs-pool';
import { ZfsSettings } from './zfs-settings';

/** The by-id paths of the physical disks under a host's pools (none on a VM, whose disks are virtual). */
export function physicalDisks(host: Host): string[] {
  if (host.hardware.isVirtualMachine) {
    return [];
  }
  const paths = ZfsPool.onHost(host)
    .flatMap((pool) => pool.vdevs)
    .flatMap((vdev) => vdev.devices)
    .map((device) => diskOf(device).path);
  return [...new Set(paths)].sort();
}

/** Does the host run the ZFS health check (pools, and the check not turned off)? */
export function runsZfsHealthCheck(host: Host): boolean {
  return ZfsPool.onHost(host).length > 0 && ZfsSettings.resolve(host).healthCheck !== false;
}
