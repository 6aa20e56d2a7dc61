/**
 * Grafana's view of a Monitoring: the provisioned data sources (its Prometheus and Loki) and the
 * lab's dashboard, generated from the model: hosts up, CPU and memory per host, the pools' health
 * and fill against their thresholds, the special vdevs' fill, and the logs of the units that keep
 * the data safe.
 */
import { dataProtectionUnits } from '../../operations/monitored-units';
import { Monitoring } from '../../operations/monitoring';
import { ZfsPool } from '../../storage/zfs-pool';
import { ZfsSettings } from '../../storage/zfs-settings';

/** The uids the dashboard refers to its data sources by. */
export const DATASOURCE_UIDS = { prometheus: 'homelab-prometheus', loki: 'homelab-loki' } as const;

/** `services.grafana.provision.datasources.settings`. */
export function grafanaDatasources(monitoring: Monitoring): Record<string, unknown> {
  return {
    apiVersion: 1,
    datasources: [
      { name: 'Prometheus', type: 'prometheus', uid: DATASOURCE_UIDS.prometheus, access: 'proxy', url: `http://127.0.0.1:${monitoring.prometheusPort}`, isDefault: true },
      { name: 'Loki', type: 'loki', uid: DATASOURCE_UIDS.loki, access: 'proxy', url: `http://127.0.0.1:${monitoring.lokiPort}` },
    ],
  };
}

type Panel = Record<string, unknown>;

const prometheus = { type: 'prometheus', uid: DATASOURCE_UIDS.prometheus };
const loki = { type: 'loki', uid: DATASOURCE_UIDS.loki };

function thresholds(...steps: Array<[number | null, string]>) {
  return { mode: 'absolute', steps: steps.map(([value, color]) => ({ value, color })) };
}

/** A time series panel of a percentage per host. */
function percentTimeseries(title: string, expr: string): Panel {
  return {
    type: 'timeseries',
    title,
    datasource: prometheus,
    targets: [{ refId: 'A', datasource: prometheus, expr, legendFormat: '{{host}}' }],
    fieldConfig: { defaults: { unit: 'percent', min: 0, max: 100 }, overrides: [] },
  };
}

/** A bar gauge of a fill percentage, red from `alertAt`. */
function fillGauge(title: string, expr: string, legendFormat: string, alertAt: number): Panel {
  return {
    type: 'bargauge',
    title,
    datasource: prometheus,
    targets: [{ refId: 'A', datasource: prometheus, expr, legendFormat, instant: true }],
    fieldConfig: { defaults: { unit: 'percent', min: 0, max: 100, thresholds: thresholds([null, 'green'], [alertAt, 'red']) }, overrides: [] },
    options: { orientation: 'horizontal', displayMode: 'gradient', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
  };
}

/** The lab's dashboard, as Grafana's JSON model. */
export function labDashboard(monitoring: Monitoring, title: string): Record<string, unknown> {
  const hosts = monitoring.hosts;
  const poolHosts = hosts.filter((h) => ZfsPool.onHost(h).length > 0);
  const specialPools = poolHosts.flatMap((h) => ZfsPool.onHost(h).filter((p) => p.poolHasSpecialVdev).map((p) => ({ host: h, pool: p })));
  const threshold = (pick: 'capacityThreshold' | 'specialThreshold') =>
    Math.min(...poolHosts.map((h) => ZfsSettings.resolve(h).healthCheck).map((c) => (c === false ? 80 : c[pick])), 100);
  const units = [...new Set(hosts.flatMap(dataProtectionUnits))].map((u) => `${u}.service`);

  const panels: Panel[] = [];
  let y = 0;
  const add = (panel: Panel, h: number, w = 24, x = 0) => {
    panels.push({ id: panels.length + 1, gridPos: { h, w, x, y }, ...panel });
    if (x + w >= 24) y += h;
  };
  add(
    {
      type: 'stat',
      title: `Hosts up (${hosts.length} in the model)`,
      datasource: prometheus,
      targets: [{ refId: 'A', datasource: prometheus, expr: 'up{job="node"}', legendFormat: '{{host}}', instant: true }],
      fieldConfig: {
        defaults: {
          mappings: [{ type: 'value', options: { '0': { text: 'DOWN', color: 'red' }, '1': { text: 'UP', color: 'green' } } }],
          thresholds: thresholds([null, 'red'], [1, 'green']),
        },
        overrides: [],
      },
      options: { colorMode: 'background', graphMode: 'none', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
    },
    4,
  );
  add(percentTimeseries('CPU busy', '100 * (1 - avg by (host) (rate(node_cpu_seconds_total{mode="idle"}[5m])))'), 8, 12, 0);
  add(percentTimeseries('Memory used', '100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)'), 8, 12, 12);
  if (poolHosts.length > 0) {
    add(
      {
        type: 'stat',
        title: 'Pool health',
        datasource: prometheus,
        targets: [{ refId: 'A', datasource: prometheus, expr: 'zfs_pool_health', legendFormat: '{{host}}/{{pool}}', instant: true }],
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
      6,
      8,
      0,
    );
    const capacity = threshold('capacityThreshold');
    add(fillGauge(`Pool fill (alert at ${capacity} %)`, '100 * zfs_pool_allocated_bytes / zfs_pool_size_bytes', '{{host}}/{{pool}}', capacity), 6, 8, 8);
    const special = threshold('specialThreshold');
    const specialTitle = specialPools.length ? `Special vdev fill (alert at ${special} %)` : 'Special vdev fill (no pool has a special vdev)';
    add(fillGauge(specialTitle, '100 * homelab_zfs_special_vdev_allocated_ratio', '{{host}}/{{pool}} {{vdev}}', special), 6, 8, 16);
  }
  if (monitoring.logShipping && units.length > 0) {
    add(
      {
        type: 'logs',
        title: 'Snapshots, replication, scrubs, health checks and backups',
        datasource: loki,
        targets: [{ refId: 'A', datasource: loki, expr: `{unit=~${JSON.stringify(units.map((u) => u.replace(/\./g, '\\.')).join('|'))}}` }],
        options: { showTime: true, sortOrder: 'Descending', wrapLogMessage: true },
      },
      10,
    );
  }
  return {
    uid: 'homelab-overview',
    title,
    tags: ['homelab'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: false,
    refresh: '1m',
    time: { from: 'now-24h', to: 'now' },
    panels,
  };
}
