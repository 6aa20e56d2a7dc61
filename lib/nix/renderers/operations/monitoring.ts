/**
 * The monitoring in the flake. On the Monitoring's host, `hosts/<host>/monitoring.nix`
 * (Prometheus, Grafana, Loki), `prometheus-rules.yml` and `grafana-dashboards/homelab.json`; on
 * every watched host, `hosts/<host>/monitoring-exporters.nix` (node exporter with the systemd and
 * textfile collectors, the ZFS and smartctl exporters where they apply, Grafana Alloy) and
 * `log-shipping.alloy`. The firewall is opened from the ports the model reserves.
 */
import { Homelab } from '../../../core/homelab';
import { Host } from '../../../hosts/host';
import { HostExporters, Monitoring } from '../../../operations/monitoring';
import { generatedHeader, NixFlake, renderSettingsModule } from '../../nix-flake';
import { NixAttrs, NixExpr } from '../../nix-value';
import { mergeAttrs } from '../hosts/host-configuration';
import { alloyConfig } from './monitoring-alloy';
import { grafanaDatasources, labDashboard } from './monitoring-grafana';
import { prometheusRulesFile, scrapeJobs } from './monitoring-prometheus';
import { sopsSecretsSettings, useSopsFor } from '../hosts/sops';

/** Where the lab's checks (ZFS health, off-site backups) leave metrics for the node exporter's textfile collector. */
export const TEXTFILE_DIRECTORY = '/var/lib/prometheus-node-exporter-text';

/** Is the host watched by a Monitoring (so its checks should write textfile metrics)? */
export function isMonitored(host: Host): boolean {
  return Monitoring.all(host).some((m) => m.exportersOn(host) !== undefined);
}

/** Adds the monitoring server and the exporters of every watched host. */
export function renderMonitoring(lab: Homelab, flake: NixFlake): void {
  for (const monitoring of Monitoring.all(lab)) {
    const host = monitoring.host;
    const source = `${monitoring.node.path} (monitoring)`;
    useSopsFor(flake, host, [
      { secret: monitoring.grafanaAdminPassword, purpose: "the password of Grafana's admin user", generated: true },
      { secret: monitoring.grafanaSecretKey, purpose: "Grafana's secret_key, which signs its cookies and encrypts its data sources' passwords", generated: true },
    ]);
    flake.addHostModule(host, 'monitoring', renderSettingsModule(lab, source, monitoringServerSettings(monitoring)));
    // The rules, the dashboard and the exporters are made of what every renderer registered
    // (watched units, rule groups, panels, exporter settings): they are made once all have run.
    const registered = flake.monitoring;
    flake.addFile(`hosts/${host.hostName}/prometheus-rules.yml`, () => prometheusRulesFile(monitoring, registered, generatedHeader(lab, `${monitoring.node.path} (alert rules)`)));
    const dashboard = () => labDashboard(monitoring, registered, `${lab.name}: hosts, pools and backups`);
    flake.addFile(`hosts/${host.hostName}/grafana-dashboards/homelab.json`, () => `${JSON.stringify(dashboard(), null, 2)}\n`);
    for (const exporters of monitoring.exporters) {
      const watched = exporters.host;
      const source = `${monitoring.node.path} (exporters on ${watched.hostName})`;
      flake.addHostModule(watched, 'monitoring-exporters', () => renderSettingsModule(lab, source, exporterSettings(exporters, registered.exporterSettings(watched))));
      if (exporters.logShipper !== undefined) {
        flake.addFile(`hosts/${watched.hostName}/log-shipping.alloy`, alloyConfig(monitoring, watched, generatedHeader(lab, `${monitoring.node.path} (log shipping of ${watched.hostName})`)));
      }
    }
  }
}

/** Prometheus, Grafana and Loki on the Monitoring's host. */
export function monitoringServerSettings(monitoring: Monitoring): NixAttrs {
  const fileProvider = (path: string | undefined) => `$__file{${path}}`;
  const lokiDir = '/var/lib/loki';
  return {
    services: {
      prometheus: {
        enable: true,
        port: monitoring.prometheusPort,
        // Grafana, on the same host, is its only client (see Monitoring's ports).
        listenAddress: '127.0.0.1',
        retentionTime: monitoring.retention,
        globalConfig: { scrape_interval: monitoring.scrapeInterval, evaluation_interval: monitoring.scrapeInterval },
        scrapeConfigs: scrapeJobs(monitoring) as unknown as NixAttrs[],
        ruleFiles: [NixExpr.path('./prometheus-rules.yml')],
      },
      grafana: {
        enable: true,
        settings: {
          server: { http_addr: '0.0.0.0', http_port: monitoring.grafanaPort, domain: monitoring.host.fqdn },
          security: {
            admin_user: monitoring.grafanaAdminUser,
            // Grafana's file provider: the secrets stay in their files, never in the Nix store.
            admin_password: fileProvider(monitoring.grafanaAdminPassword.hostPath),
            secret_key: fileProvider(monitoring.grafanaSecretKey.hostPath),
          },
          analytics: { reporting_enabled: false },
        },
        provision: {
          enable: true,
          datasources: { settings: grafanaDatasources(monitoring) as NixAttrs },
          dashboards: {
            settings: {
              apiVersion: 1,
              providers: [{ name: 'homelab', type: 'file', disableDeletion: true, options: { path: NixExpr.path('./grafana-dashboards') } }],
            },
          },
        },
      },
      loki: {
        enable: true,
        dataDir: lokiDir,
        configuration: {
          auth_enabled: false,
          server: {
            http_listen_address: '0.0.0.0',
            http_listen_port: monitoring.lokiPort,
            grpc_listen_address: '127.0.0.1',
            grpc_listen_port: monitoring.lokiGrpcPort,
          },
          common: {
            instance_addr: '127.0.0.1',
            path_prefix: lokiDir,
            replication_factor: 1,
            ring: { kvstore: { store: 'inmemory' } },
            storage: { filesystem: { chunks_directory: `${lokiDir}/chunks`, rules_directory: `${lokiDir}/rules` } },
          },
          schema_config: {
            configs: [{ from: '2024-01-01', store: 'tsdb', object_store: 'filesystem', schema: 'v13', index: { prefix: 'index_', period: '24h' } }],
          },
          limits_config: { retention_period: monitoring.logRetention },
          compactor: { working_directory: `${lokiDir}/compactor`, retention_enabled: true, delete_request_store: 'filesystem' },
          analytics: { reporting_enabled: false },
        },
      },
    },
    sops: sopsSecretsSettings([monitoring.grafanaAdminPassword, monitoring.grafanaSecretKey]),
  };
}

/**
 * The exporters and the log shipper of one watched host, with the settings other renderers
 * added for them (the ZFS health check's textfile metrics…).
 */
export function exporterSettings(exporters: HostExporters, registered: readonly NixAttrs[] = []): NixAttrs {
  const settings: NixAttrs[] = [
    {
      services: {
        prometheus: {
          exporters: {
            node: {
              enable: true,
              port: exporters.node,
              // systemd: failed units; textfile: the metrics of the lab's checks (ZFS health, backups).
              enabledCollectors: ['systemd'],
              extraFlags: [`--collector.textfile.directory=${TEXTFILE_DIRECTORY}`],
            },
            zfs: exporters.zfs === undefined ? undefined : { enable: true, port: exporters.zfs },
            smartctl: exporters.smartctl ? { enable: true, port: exporters.smartctl.port, devices: [...exporters.smartctl.disks] } : undefined,
          },
        },
      },
    },
    ...registered,
  ];
  if (exporters.logShipper !== undefined) {
    settings.push({
      services: {
        alloy: {
          enable: true,
          extraFlags: [`--server.http.listen-addr=127.0.0.1:${exporters.logShipper}`, '--disable-reporting'],
        },
      },
      environment: { etc: { 'alloy/config.alloy': { source: NixExpr.path('./log-shipping.alloy') } } },
    });
  }
  return mergeAttrs(...settings);
}
