/**
 * Prometheus's view of a Monitoring: the scrape jobs (every watched host's exporters, by address,
 * labelled with the host name) and the alert rules: its own (hosts down, failed units, the units
 * the renderers registered as watched) and the groups the renderers contributed (pools, disks,
 * off-site backups…). The rules go into `hosts/<host>/prometheus-rules.yml`, which NixOS checks
 * with promtool when it builds.
 */
import { stringify } from 'yaml';
import { Host } from '../../../hosts/host';
import { Monitoring } from '../../../operations/monitoring';
import { AlertRule, AlertRuleGroup, AlertSeverity, FlakeMonitoring } from '../../flake-monitoring';

/** A Prometheus scrape job with static targets. */
export interface ScrapeJob {
  readonly job_name: string;
  readonly static_configs: ReadonlyArray<{ readonly targets: readonly string[]; readonly labels: Readonly<Record<string, string>> }>;
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
export function promqlString(value: string): string {
  return JSON.stringify(value);
}

/** A PromQL regular expression matching exactly these names. */
function anyOf(names: readonly string[]): string {
  return promqlString(names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));
}

/**
 * An alerting rule. `about` labels a rule made for one host, pool or backup: rules of one name
 * then differ by their labels, as promtool's lint wants.
 */
export function alertRule(
  alert: string,
  expr: string,
  forDuration: string | undefined,
  severity: AlertSeverity,
  summary: string,
  description: string,
  about: Record<string, string> = {},
): AlertRule {
  return { alert, expr, for: forDuration, labels: { severity, ...about }, annotations: { summary, description } };
}

/** Hosts down and failed units; a watched unit's failure is critical. */
function hostRules(monitoring: Monitoring, registered: FlakeMonitoring): AlertRule[] {
  const rules: AlertRule[] = [
    alertRule('HostDown', 'up{job="node"} == 0', '5m', 'critical', 'Host {{ $labels.host }} is down', 'The node exporter of {{ $labels.host }} ({{ $labels.instance }}) has not answered for 5 minutes.'),
  ];
  const critical: string[] = [];
  for (const host of monitoring.hosts) {
    const units = registered.watchedUnits(host);
    if (units.length === 0) {
      continue;
    }
    critical.push(...units);
    rules.push(
      alertRule(
        'DataProtectionUnitFailed',
        `node_systemd_unit_state{host=${promqlString(host.hostName)},state="failed",name=~${anyOf(units)}} == 1`,
        undefined,
        'critical',
        '{{ $labels.name }} failed on {{ $labels.host }}',
        `A unit that keeps the data of ${host.hostName} safe (snapshots, replication, scrub, health check, off-site backup or restore test) failed: see journalctl -u {{ $labels.name }}.`,
        { host: host.hostName },
      ),
    );
  }
  const others = critical.length ? `,name!~${anyOf([...new Set(critical)].sort())}` : '';
  rules.push(alertRule('UnitFailed', `node_systemd_unit_state{state="failed"${others}} == 1`, '15m', 'warning', '{{ $labels.name }} failed on {{ $labels.host }}', 'A systemd unit is in the failed state: see journalctl -u {{ $labels.name }}.'));
  return rules;
}

/**
 * Every alert rule of a Monitoring, by group: its own (`homelab-hosts`), then the groups the
 * renderers registered, in the order they registered them; empty groups are left out.
 */
export function alertRuleGroups(monitoring: Monitoring, registered: FlakeMonitoring): AlertRuleGroup[] {
  const own: AlertRuleGroup = { name: 'homelab-hosts', rules: hostRules(monitoring, registered) };
  return [own, ...registered.alertRuleGroups(monitoring)].filter((g) => g.rules.length > 0);
}

/** The rules file, as promtool and Prometheus read it. */
export function prometheusRulesFile(monitoring: Monitoring, registered: FlakeMonitoring, header: string): string {
  const comment = header
    .split('\n')
    .map((l) => `# ${l}`)
    .join('\n');
  return `${comment}\n${stringify({ groups: alertRuleGroups(monitoring, registered) }, { lineWidth: 0 })}`;
}
