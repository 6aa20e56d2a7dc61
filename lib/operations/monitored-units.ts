/**
 * Derived facts for the monitoring: which hosts it watches, which exporters each runs, which
 * physical disks it has, and which systemd units keep its data safe (their failure is an alert).
 */
import { Host } from '../hosts/host';
import { diskOf } from '../storage/disk';
import { ZfsPool } from '../storage/zfs-pool';
import { ZfsReplication } from '../storage/zfs-replication';
import { ZfsSettings } from '../storage/zfs-settings';
import { OffsiteBackup } from './offsite-backup';

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

/**
 * The systemd services (without `.service`) of a host that keep its data safe, from the model:
 * sanoid (when a dataset has a snapshot policy), a syncoid unit per replication, ZFS scrub and
 * TRIM, the ZFS health check, and the off-site backups with their restore tests.
 */
export function dataProtectionUnits(host: Host): string[] {
  const units: string[] = [];
  const pools = ZfsPool.onHost(host);
  if (pools.length > 0 || ZfsSettings.of(host)) {
    const settings = ZfsSettings.resolve(host);
    if (pools.some((p) => p.allDatasets.some((d) => d.snapshots.length > 0))) {
      units.push('sanoid');
    }
    units.push(...ZfsReplication.fromHost(host).map((r) => `syncoid-${r.commandName}`));
    // The unit names of nixpkgs' nixos/modules/tasks/filesystems/zfs.nix:
    // systemd.services.zfs-scrub (services.zfs.autoScrub) and systemd.services.zpool-trim
    // (services.zfs.trim); there is no zfs-trim unit.
    if (settings.scrub !== false) {
      units.push('zfs-scrub');
    }
    if (settings.trim !== false) {
      units.push('zpool-trim');
    }
    if (settings.healthCheck !== false) {
      units.push('zfs-health');
    }
  }
  for (const backup of OffsiteBackup.onHost(host)) {
    units.push(backup.serviceName);
    if (backup.restoreTestServiceName) {
      units.push(backup.restoreTestServiceName);
    }
  }
  return units;
}
