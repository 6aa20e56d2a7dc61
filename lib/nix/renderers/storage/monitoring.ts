/**
 * What ZFS hands the monitoring: the units the storage renderer creates (sanoid, syncoid, scrub,
 * TRIM, the health check) as watched units, the alert rules of the pools and disks, the health
 * check's textfile metrics on the exporters, and the pools' panels of the dashboard.
 */
import { Host } from '../../../hosts/host';
import { Monitoring } from '../../../operations/monitoring';
import { ZfsReplication } from '../../../storage/zfs-replication';
import { runsZfsHealthCheck } from '../../../storage/health';
import { ZfsSettings } from '../../../storage/zfs-settings';
import { AlertRule, DashboardPanel } from '../../flake-monitoring';
import { NixFlake } from '../../nix-flake';
import { fillGauge, PROMETHEUS_DATASOURCE, thresholds } from '../operations/monitoring-grafana';
import { TEXTFILE_DIRECTORY } from '../operations/monitoring';
import { alertRule, promqlString } from '../operations/monitoring-prometheus';
import { datasetsOf, poolsOf } from './layout';

/** Registers the monitoring of every host that runs ZFS (see {@link zfsHosts}). */
export function watchStorage(hosts: readonly Host[], flake: NixFlake): void {
  for (const host of hosts) {
    for (const unit of zfsUnits(host)) {
      flake.monitoring.watchUnit(host, `${unit}.service`);
    }
    if (runsZfsHealthCheck(host)) {
      flake.monitoring.addExporterSettings(host, { homelab: { zfsHealth: { textfileDirectory: TEXTFILE_DIRECTORY } } });
    }
  }
  flake.monitoring.addAlertRules('homelab-zfs', zfsRules);
  flake.monitoring.addAlertRules('homelab-disks', diskRules);
  flake.monitoring.addDashboardPanels(poolPanels);
}

/**
 * The systemd services (without `.service`) of a ZFS host that keep its data safe: sanoid (when
 * a dataset has a snapshot policy), a syncoid unit per replication, scrub, TRIM and the health check.
 */
export function zfsUnits(host: Host): string[] {
  const units: string[] = [];
  const settings = ZfsSettings.resolve(host);
  if (poolsOf(host).some((p) => datasetsOf(p).some((d) => d.snapshots.length > 0))) {
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
  return units;
}

/** ZFS: pools missing or not ONLINE, capacity, device and data errors, special vdev fill. */
function zfsRules(monitoring: Monitoring): AlertRule[] {
  const rules: AlertRule[] = [];
  for (const host of monitoring.hosts) {
    const pools = poolsOf(host);
    if (pools.length === 0) {
      continue;
    }
    const h = promqlString(host.hostName);
    const health = ZfsSettings.resolve(host).healthCheck;
    const capacity = health === false ? 80 : health.capacityThreshold;
    for (const pool of pools) {
      rules.push(
        alertRule(
          'ZfsPoolMissing',
          `absent(zfs_pool_health{host=${h},pool=${promqlString(pool.poolName)}})`,
          '10m',
          'critical',
          `Pool ${pool.poolName} of ${host.hostName} is not imported`,
          `The ZFS exporter of ${host.hostName} does not report the pool ${pool.poolName} of the model: it is not imported, or the exporter is down.`,
          { host: host.hostName, pool: pool.poolName },
        ),
      );
    }
    const about = { host: host.hostName };
    rules.push(
      // zfs_exporter: 0 ONLINE, 1 DEGRADED, 2 FAULTED, 3 OFFLINE, 4 UNAVAIL, 5 REMOVED, 6 SUSPENDED
      alertRule('ZfsPoolNotOnline', `zfs_pool_health{host=${h}} != 0`, '1m', 'critical', 'Pool {{ $labels.pool }} of {{ $labels.host }} is not ONLINE', 'zfs_pool_health is {{ $value }} (1 DEGRADED, 2 FAULTED, 3 OFFLINE, 4 UNAVAIL, 5 REMOVED, 6 SUSPENDED): run zpool status {{ $labels.pool }}.', about),
      alertRule(
        'ZfsPoolCapacity',
        `zfs_pool_allocated_bytes{host=${h}} / zfs_pool_size_bytes{host=${h}} * 100 >= ${capacity}`,
        '30m',
        'warning',
        'Pool {{ $labels.pool }} of {{ $labels.host }} is {{ $value | humanize }}% full',
        `Pools of ${host.hostName} slow down when they fill; the threshold is ${capacity} % (ZfsSettings' health check).`,
        about,
      ),
    );
    if (!runsZfsHealthCheck(host)) {
      continue;
    }
    rules.push(
      alertRule('ZfsDeviceErrors', `homelab_zfs_device_errors{host=${h}} > 0`, undefined, 'critical', '{{ $labels.device }} of pool {{ $labels.pool }} on {{ $labels.host }} has {{ $value }} {{ $labels.kind }} errors', 'Counted by zpool status since the last zpool clear; replace the device if they keep growing.', about),
      alertRule('ZfsDataErrors', `homelab_zfs_pool_data_errors{host=${h}} > 0`, undefined, 'critical', 'Pool {{ $labels.pool }} of {{ $labels.host }} has permanent data errors', 'zpool status -v {{ $labels.pool }} lists the damaged files; restore them from a backup.', about),
      alertRule('ZfsHealthCheckMissing', `absent(homelab_zfs_health_last_run_timestamp_seconds{host=${h}})`, '3h', 'warning', `The ZFS health check of ${host.hostName} reports no metrics`, `zfs-health.service of ${host.hostName} has not written its metrics; device errors and special vdev fill are not watched.`, about),
    );
    const threshold = (health as Exclude<typeof health, false>).specialThreshold;
    for (const pool of pools.filter((p) => p.poolHasSpecialVdev)) {
      rules.push(
        alertRule(
          'ZfsSpecialVdevFull',
          `homelab_zfs_special_vdev_allocated_ratio{host=${h},pool=${promqlString(pool.poolName)}} * 100 >= ${threshold}`,
          undefined,
          'warning',
          `The special vdev {{ $labels.vdev }} of ${pool.poolName} on ${host.hostName} is {{ $value | humanize }}% full`,
          `Above ${threshold} % new metadata and small blocks spill onto the data vdevs of ${pool.poolName} and the pool slows down; grow the special vdev or lower special_small_blocks.`,
          { host: host.hostName, pool: pool.poolName },
        ),
      );
    }
  }
  return rules;
}

/** Disk health from the smartctl exporter. */
function diskRules(monitoring: Monitoring): AlertRule[] {
  if (!monitoring.exporters.some((e) => e.smartctl)) {
    return [];
  }
  return [
    alertRule('DiskSmartFailed', 'smartctl_device_smart_status != 1', '10m', 'critical', 'Disk {{ $labels.device }} of {{ $labels.host }} fails its SMART check', 'The drive reports that it is failing: replace it.'),
    alertRule('DiskCriticalWarning', 'smartctl_device_critical_warning > 0', '10m', 'critical', 'Disk {{ $labels.device }} of {{ $labels.host }} has a critical warning', 'The NVMe controller reports a critical warning (spare, temperature, reliability or read-only).'),
    alertRule('DiskMediaErrors', 'smartctl_device_media_errors > 0', '10m', 'warning', 'Disk {{ $labels.device }} of {{ $labels.host }} has media errors', 'The drive counted {{ $value }} media errors.'),
  ];
}


/** The pools' row of the dashboard: health, fill and special vdev fill against their thresholds. */
function poolPanels(monitoring: Monitoring): DashboardPanel[] {
  const poolHosts = monitoring.hosts.filter((h) => poolsOf(h).length > 0);
  if (poolHosts.length === 0) {
    return [];
  }
  const specialPools = poolHosts.flatMap((h) => poolsOf(h).filter((p) => p.poolHasSpecialVdev));
  const threshold = (pick: 'capacityThreshold' | 'specialThreshold') =>
    Math.min(...poolHosts.map((h) => ZfsSettings.resolve(h).healthCheck).map((c) => (c === false ? 80 : c[pick])), 100);
  const panels: DashboardPanel[] = [];
  panels.push({
    panel: {
      type: 'stat',
      title: 'Pool health',
      datasource: PROMETHEUS_DATASOURCE,
      targets: [{ refId: 'A', datasource: PROMETHEUS_DATASOURCE, expr: 'zfs_pool_health', legendFormat: '{{host}}/{{pool}}', instant: true }],
      fieldConfig: {
        defaults: {
          mappings: [
            {
              type: 'value',
              options: Object.fromEntries(['ONLINE', 'DEGRADED', 'FAULTED', 'OFFLINE', 'UNAVAIL', 'REMOVED', 'SUSPENDED'].map((text, i) => [String(i), { text, color: i === 0 ? 'green' : i === 1 ? 'orange' : 'red' }])),
            },
          ],
          thresholds: thresholds([null, 'green'], [1, 'red']),
        },
        overrides: [],
      },
      options: { colorMode: 'background', graphMode: 'none', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
    },
    height: 6,
    width: 8,
  });
  const capacity = threshold('capacityThreshold');
  panels.push({ panel: fillGauge(`Pool fill (alert at ${capacity} %)`, '100 * zfs_pool_allocated_bytes / zfs_pool_size_bytes', '{{host}}/{{pool}}', capacity), height: 6, width: 8 });
  const special = threshold('specialThreshold');
  const specialTitle = specialPools.length ? `Special vdev fill (alert at ${special} %)` : 'Special vdev fill (no pool has a special vdev)';
  panels.push({ panel: fillGauge(specialTitle, '100 * homelab_zfs_special_vdev_allocated_ratio', '{{host}}/{{pool}} {{vdev}}', special), height: 6, width: 8 });
  return panels;
}
