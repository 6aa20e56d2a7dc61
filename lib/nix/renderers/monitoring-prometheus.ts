/**
 * Prometheus's view of a Monitoring: the scrape jobs (every watched host's exporters, by address,
 * labelled with the host name) and the alert rules derived from the model (the lab's hosts, pools,
 * special vdevs, data-protection units, disks and off-site backups). The rules go into
 * `hosts/<host>/prometheus-rules.yml`, which NixOS checks with promtool when it builds.
 */
import { stringify } from 'yaml';
import { Host } from '../../hosts/host';
import { dataProtectionUnits, runsZfsHealthCheck } from '../../operations/monitored-units';
import { Monitoring } from '../../operations/monitoring';
import { OffsiteBackup } from '../../operations/offsite-backup';
import { staleAfterHours } from '../../operations/schedules';
import { ZfsPool } from '../../storage/zfs-pool';
import { ZfsSettings } from '../../storage/zfs-settings';

/** A Prometheus scrape job with static targets. */
export interface ScrapeJob {
  readonly job_name: string;
  readonly static_configs: ReadonlyArray<{ readonly targets: readonly string[]; readonly labels: Readonly<Record<string, string>> }>;
}

/** A Prometheus alerting rule. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  /** The severity, and the host (and pool, backup) a rule of one of them is about. */
  readonly labels: { readonly severity: 'critical' | 'warning'; readonly [label: string]: string };
  readonly annotations: { readonly summary: string; readonly description: string };
}

/** A group of alerting rules. */
export interface AlertRuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/** The scrape jobs: Prometheus itself, then each exporter on every watched host that runs it. */
export function scrapeJobs(monitoring: Monitoring): ScrapeJob[] {
  const target = (host: Host, port: number) => ({ targets: [`${host.ipAddress}:${port}`], labels: { host: host.hostName } });
  const exporters = monitoring.exporters;
  const jobs: ScrapeJob[] = [
    { job_name: 'prometheus', static_configs: [{ targets: [`127.0.0.1:${monitoring.prometheusPort}`], labels: { host: monitoring.host.hostName } }] },
    { job_name: 'node', static_configs: exporters.map((e) => target(e.host, e.node)) },
    { job_name: 'zfs', static_configs: exporters.filter((e) => e.zfs !== undefined).map((e) => target(e.host, e.zfs!)) },
    { job_name: 'smartctl', static_configs: exporters.filter((e) => e.smartctl).map((e) => target(e.host, e.smartctl!.port)) },
  ];
  return jobs.filter((j) => j.static_configs.length > 0);
}

/** A PromQL string literal. */
function q(value: string): string {
  return JSON.stringify(value);
}

/** A PromQL regular expression matching exactly these names. */
function anyOf(names: readonly string[]): string {
  return q(names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));
}

type Severity = 'critical' | 'warning';

/**
 * An alerting rule. `about` labels a rule made for one host, pool or backup: rules of one name
 * then differ by their labels, as promtool's lint wants.
 */
const rule = (alert: string, expr: string, forDuration: string | undefined, severity: Severity, summary: string, description: string, about: Record<string, string> = {}): AlertRule => ({
  alert,
  expr,
  for: forDuration,
  labels: { severity, ...about },
  annotations: { summary, description },
});

/** Hosts down and failed units. */
function hostRules(monitoring: Monitoring): AlertRule[] {
  const rules: AlertRule[] = [
    rule('HostDown', 'up{job="node"} == 0', '5m', 'critical', 'Host {{ $labels.host }} is down', 'The node exporter of {{ $labels.host }} ({{ $labels.instance }}) has not answered for 5 minutes.'),
  ];
  const critical: string[] = [];
  for (const host of monitoring.hosts) {
    const units = dataProtectionUnits(host).map((u) => `${u}.service`);
    if (units.length === 0) {
      continue;
    }
    critical.push(...units);
    rules.push(
      rule(
        'DataProtectionUnitFailed',
        `node_systemd_unit_state{host=${q(host.hostName)},state="failed",name=~${anyOf(units)}} == 1`,
        undefined,
        'critical',
        '{{ $labels.name }} failed on {{ $labels.host }}',
        `A unit that keeps the data of ${host.hostName} safe (snapshots, replication, scrub, health check, off-site backup or restore test) failed: see journalctl -u {{ $labels.name }}.`,
        { host: host.hostName },
      ),
    );
  }
  const others = critical.length ? `,name!~${anyOf([...new Set(critical)].sort())}` : '';
  rules.push(rule('UnitFailed', `node_systemd_unit_state{state="failed"${others}} == 1`, '15m', 'warning', '{{ $labels.name }} failed on {{ $labels.host }}', 'A systemd unit is in the failed state: see journalctl -u {{ $labels.name }}.'));
  return rules;
}

/** ZFS: pools missing or not ONLINE, capacity, device and data errors, special vdev fill. */
function zfsRules(monitoring: Monitoring): AlertRule[] {
  const rules: AlertRule[] = [];
  for (const host of monitoring.hosts) {
    const pools = ZfsPool.onHost(host);
    if (pools.length === 0) {
      continue;
    }
    const h = q(host.hostName);
    const health = ZfsSettings.resolve(host).healthCheck;
    const capacity = health === false ? 80 : health.capacityThreshold;
    for (const pool of pools) {
      rules.push(
        rule(
          'ZfsPoolMissing',
          `absent(zfs_pool_health{host=${h},pool=${q(pool.poolName)}})`,
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
      rule('ZfsPoolNotOnline', `zfs_pool_health{host=${h}} != 0`, '1m', 'critical', 'Pool {{ $labels.pool }} of {{ $labels.host }} is not ONLINE', 'zfs_pool_health is {{ $value }} (1 DEGRADED, 2 FAULTED, 3 OFFLINE, 4 UNAVAIL, 5 REMOVED, 6 SUSPENDED): run zpool status {{ $labels.pool }}.', about),
      rule(
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
      rule('ZfsDeviceErrors', `homelab_zfs_device_errors{host=${h}} > 0`, undefined, 'critical', '{{ $labels.device }} of pool {{ $labels.pool }} on {{ $labels.host }} has {{ $value }} {{ $labels.kind }} errors', 'Counted by zpool status since the last zpool clear; replace the device if they keep growing.', about),
      rule('ZfsDataErrors', `homelab_zfs_pool_data_errors{host=${h}} > 0`, undefined, 'critical', 'Pool {{ $labels.pool }} of {{ $labels.host }} has permanent data errors', 'zpool status -v {{ $labels.pool }} lists the damaged files; restore them from a backup.', about),
      rule('ZfsHealthCheckMissing', `absent(homelab_zfs_health_last_run_timestamp_seconds{host=${h}})`, '3h', 'warning', `The ZFS health check of ${host.hostName} reports no metrics`, `zfs-health.service of ${host.hostName} has not written its metrics; device errors and special vdev fill are not watched.`, about),
    );
    const threshold = (health as Exclude<typeof health, false>).specialThreshold;
    for (const pool of pools.filter((p) => p.poolHasSpecialVdev)) {
      rules.push(
        rule(
          'ZfsSpecialVdevFull',
          `homelab_zfs_special_vdev_allocated_ratio{host=${h},pool=${q(pool.poolName)}} * 100 >= ${threshold}`,
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
    rule('DiskSmartFailed', 'smartctl_device_smart_status != 1', '10m', 'critical', 'Disk {{ $labels.device }} of {{ $labels.host }} fails its SMART check', 'The drive reports that it is failing: replace it.'),
    rule('DiskCriticalWarning', 'smartctl_device_critical_warning > 0', '10m', 'critical', 'Disk {{ $labels.device }} of {{ $labels.host }} has a critical warning', 'The NVMe controller reports a critical warning (spare, temperature, reliability or read-only).'),
    rule('DiskMediaErrors', 'smartctl_device_media_errors > 0', '10m', 'warning', 'Disk {{ $labels.device }} of {{ $labels.host }} has media errors', 'The drive counted {{ $value }} media errors.'),
  ];
}

/** Off-site backups and restore tests that stopped succeeding. */
function backupRules(monitoring: Monitoring): AlertRule[] {
  const rules: AlertRule[] = [];
  for (const backup of OffsiteBackup.all(monitoring).filter((b) => monitoring.exportersOn(b.host))) {
    const labels = `host=${q(backup.host.hostName)},backup=${q(backup.backupName)}`;
    const about = { host: backup.host.hostName, backup: backup.backupName };
    const stale = (metric: string, hours: number) => `time() - ${metric}{${labels}} > ${hours * 3600} or absent(${metric}{${labels}})`;
    rules.push(
      rule(
        'OffsiteBackupStale',
        stale('homelab_offsite_backup_last_success_timestamp_seconds', backup.maxAgeHours),
        '1h',
        'critical',
        `The off-site backup ${backup.backupName} of ${backup.host.hostName} has not succeeded for ${backup.maxAgeHours} hours`,
        `Runs ${backup.schedule} to ${backup.remote}; see journalctl -u ${backup.serviceName}.`,
        about,
      ),
    );
    if (backup.restoreTest) {
      const hours = staleAfterHours(backup.restoreTest.schedule, 2 * 24 * 7);
      rules.push(
        rule(
          'RestoreTestStale',
          stale('homelab_offsite_restore_test_last_success_timestamp_seconds', hours),
          '1h',
          'critical',
          `The restore test of ${backup.backupName} on ${backup.host.hostName} has not passed for ${hours} hours`,
          `A backup is only as good as its last restore; see journalctl -u ${backup.restoreTestServiceName}.`,
          about,
        ),
      );
    }
  }
  return rules;
}

/** Every alert rule of a Monitoring, by group; empty groups are left out. */
export function alertRuleGroups(monitoring: Monitoring): AlertRuleGroup[] {
  const groups: AlertRuleGroup[] = [
    { name: 'homelab-hosts', rules: hostRules(monitoring) },
    { name: 'homelab-zfs', rules: zfsRules(monitoring) },
    { name: 'homelab-disks', rules: diskRules(monitoring) },
    { name: 'homelab-backups', rules: backupRules(monitoring) },
  ];
  return groups.filter((g) => g.rules.length > 0);
}

/** The rules file, as promtool and Prometheus read it. */
export function prometheusRulesFile(monitoring: Monitoring, header: string): string {
  const comment = header
    .split('\n')
    .map((l) => `# ${l}`)
    .join('\n');
  return `${comment}\n${stringify({ groups: alertRuleGroups(monitoring) }, { lineWidth: 0 })}`;
}
