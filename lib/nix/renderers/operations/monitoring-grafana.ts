/**
 * Grafana's view of a Monitoring: the provisioned data sources (its Prometheus and Loki) and the
 * lab's dashboard, generated from the model: hosts up, CPU and memory per host, the panels the
 * renderers contributed (the pools' health and fill…), and the logs of the watched units.
 */
import { Monitoring } from '../../../operations/monitoring';
import { FlakeMonitoring } from '../../flake-monitoring';

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

/** The dashboard's reference to its Prometheus data source. */
export const PROMETHEUS_DATASOURCE = { type: 'prometheus', uid: DATASOURCE_UIDS.prometheus } as const;
const prometheus = PROMETHEUS_DATASOURCE;
const loki = { type: 'loki', uid: DATASOURCE_UIDS.loki };

/** Grafana absolute thresholds: from each value on, its colour (the first value is null). */
export function thresholds(...steps: Array<[number | null, string]>) {
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
export function fillGauge(title: string, expr: string, legendFormat: string, alertAt: number): Panel {
  return {
    type: 'bargauge',
    title,
    datasource: prometheus,
    targets: [{ refId: 'A', datasource: prometheus, expr, legendFormat, instant: true }],
    fieldConfig: { defaults: { unit: 'percent', min: 0, max: 100, thresholds: thresholds([null, 'green'], [alertAt, 'red']) }, overrides: [] },
    options: { orientation: 'horizontal', displayMode: 'gradient', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
  };
}

/**
 * The lab's dashboard, as Grafana's JSON model: the monitoring's overview, the panels the
 * renderers contributed, the logs of the watched units.
 */
export function labDashboard(monitoring: Monitoring, contributions: FlakeMonitoring, title: string): Record<string, unknown> {
  const hosts = monitoring.hosts;
  const units = [...new Set(hosts.flatMap((h) => contributions.watchedUnits(h)))];

  // Panels fill Grafana's 24-column rows left to right.
  const panels: Panel[] = [];
  let y = 0;
  let x = 0;
  const add = (panel: Readonly<Panel>, h: number, w = 24) => {
    panels.push({ id: panels.length + 1, gridPos: { h, w, x, y }, ...panel });
    x += w;
    if (x >= 24) {
      y += h;
      x = 0;
    }
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
  add(percentTimeseries('CPU busy', '100 * (1 - avg by (host) (rate(node_cpu_seconds_total{mode="idle"}[5m])))'), 8, 12);
  add(percentTimeseries('Memory used', '100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)'), 8, 12);
  for (const registered of contributions.dashboardPanels(monitoring)) {
    add(registered.panel, registered.height, registered.width);
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
