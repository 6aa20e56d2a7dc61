import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { Host, ZfsSettings } from '../../lib';
import { ReferenceLab } from '../../apps/reference-lab';
import { tempDir } from '../support/labs';
import { evalModule, nixFilesUnder, parseNixFiles } from '../support/nix';
import { synthesizeReferenceLab } from '../support/reference';

let ref: ReferenceLab;
let nixDir: string;
let server: Record<string, any>;
let rulesFile: string;

beforeAll(() => {
  ({ ref, nixDir } = synthesizeReferenceLab());
  // Stand-ins for the sops-encrypted files that `homelab secrets init` makes and synth copies into the flake.
  fs.mkdirSync(path.join(nixDir, 'secrets'));
  fs.writeFileSync(path.join(nixDir, 'secrets/grafana-admin-password.yaml'), '');
  fs.writeFileSync(path.join(nixDir, 'secrets/grafana-secret-key.yaml'), '');
  server = evalModule(path.join(nixDir, 'hosts/maxdata/monitoring.nix'));
  rulesFile = path.join(nixDir, 'hosts/maxdata/prometheus-rules.yml');
});

const rules = () => (parse(fs.readFileSync(rulesFile, 'utf8')).groups as Array<{ name: string; rules: any[] }>).flatMap((g) => g.rules);

/** prometheus.yml as NixOS writes it from services.prometheus, beside a copy of the rules file. */
function prometheusYml(dir: string): string {
  const p = server.services.prometheus;
  fs.copyFileSync(rulesFile, path.join(dir, 'prometheus-rules.yml'));
  const file = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(file, stringify({ global: p.globalConfig, scrape_configs: p.scrapeConfigs, rule_files: ['prometheus-rules.yml'] }));
  return file;
}

describe("the reference lab's monitoring on maxdata", () => {
  it('parses with the real Nix parser', () => {
    expect(parseNixFiles(nixFilesUnder(nixDir))).toEqual([]);
  });

  it('scrapes the node exporter of every NixOS host of the model, by address, labelled with its name', () => {
    const jobs = server.services.prometheus.scrapeConfigs as Array<{ job_name: string; static_configs: Array<{ targets: string[]; labels: { host: string } }> }>;
    const node = jobs.find((j) => j.job_name === 'node')!;
    const expected = Host.all(ref.lab).map((h) => ({ targets: [`${h.ipAddress}:9100`], labels: { host: h.hostName } }));
    expect(node.static_configs).toEqual(expected);
    expect(expected.map((t) => t.labels.host)).toEqual(['k3s-node1', 'k3s-node2', 'k3s-node3', 'maxdata', 'pi-network']);
    // the ZFS and disk exporters only where there are pools and physical disks
    expect(jobs.find((j) => j.job_name === 'zfs')!.static_configs.map((c) => c.labels.host)).toEqual(['maxdata']);
    expect(jobs.find((j) => j.job_name === 'smartctl')!.static_configs.map((c) => c.labels.host)).toEqual(['maxdata']);
  });

  it("runs the exporters on every host, each port opened to Prometheus's host alone", () => {
    const scraper = ref.operations.monitoring.host.ipAddress;
    for (const host of Host.all(ref.lab)) {
      const dir = path.join(nixDir, 'hosts', host.hostName);
      const configuration = evalModule(path.join(dir, 'configuration.nix'), host.packages);
      expect(configuration.imports).toContain('monitoring-exporters.nix');
      const exporters = evalModule(path.join(dir, 'monitoring-exporters.nix')).services.prometheus.exporters;
      expect(exporters.node).toMatchObject({ enable: true, port: 9100, enabledCollectors: ['systemd'] });
      const firewall = configuration.networking.firewall;
      // Not open to the LAN, where phones and guests get DHCP too: only from the scraper.
      expect(firewall.allowedTCPPorts).not.toContain(9100);
      expect(firewall.extraCommands.split('\n')).toContain(`iptables -w -A nixos-fw -s ${scraper} -p tcp --dport 9100 -j nixos-fw-accept`);
      expect(firewall.allowedTCPPorts).not.toContain(12345); // Alloy's own server stays on 127.0.0.1
    }
    const maxdata = evalModule(path.join(nixDir, 'hosts/maxdata/configuration.nix'), ref.maxdata.packages).networking.firewall;
    expect(maxdata.allowedTCPPorts).toContain(3000); // Grafana, with its login
    for (const closed of [9091, 3100, 9134, 9633, 9096]) expect(maxdata.allowedTCPPorts).not.toContain(closed);
    // Loki takes logs from the watched hosts alone; nobody else can push or read them.
    const loki = (maxdata.extraCommands as string).split('\n').filter((l) => l.includes('--dport 3100'));
    expect(loki).toEqual(Host.all(ref.lab).map((h) => `iptables -w -A nixos-fw -s ${h.ipAddress} -p tcp --dport 3100 -j nixos-fw-accept`));
    expect(server.services.prometheus.listenAddress).toBe('127.0.0.1');
  });

  it('watches the disks of the pools by their by-id names', () => {
    const smartctl = evalModule(path.join(nixDir, 'hosts/maxdata/monitoring-exporters.nix')).services.prometheus.exporters.smartctl;
    const disks = new Set(ref.storage.tank.vdevs.flatMap((v) => v.devices).map((d) => ('disk' in d ? (d as any).disk.path : d.path)));
    for (const disk of disks) expect(smartctl.devices).toContain(disk);
    expect(smartctl.devices.every((d: string) => d.startsWith('/dev/disk/by-id/') && !/-part\d+$/.test(d))).toBe(true);
  });

  it('puts Prometheus on 9091, beside Cockpit\'s 9090', () => {
    expect(server.services.prometheus.port).toBe(9091);
    expect(ref.operations.monitoring.prometheusPort).toBe(9091);
  });

  it('writes alert rules that pass promtool check rules', () => {
    const r = spawnSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('writes a configuration that passes promtool check config, rule file included', () => {
    const r = spawnSync('promtool', ['check', 'config', prometheusYml(tempDir('homelab-prometheus-'))], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toMatch(/SUCCESS: 1 rule files found/);
    expect(r.status).toBe(0);
  });

  it('alerts on the special vdev of tank at the pool\'s threshold (80 %), and on the pools, hosts and units of the model', () => {
    const threshold = (ZfsSettings.resolve(ref.maxdata).healthCheck as { specialThreshold: number }).specialThreshold;
    expect(threshold).toBe(80);
    const special = rules().filter((r) => r.alert === 'ZfsSpecialVdevFull');
    expect(special.map((r) => r.labels.pool)).toEqual(['tank']); // fast has no special vdev
    expect(special[0].expr).toBe(`homelab_zfs_special_vdev_allocated_ratio{host="maxdata",pool="tank"} * 100 >= ${threshold}`);
    expect(rules().filter((r) => r.alert === 'ZfsPoolMissing').map((r) => r.labels.pool)).toEqual(['fast', 'tank']);
    const units = rules().find((r) => r.alert === 'DataProtectionUnitFailed')!.expr;
    for (const unit of ['sanoid', 'syncoid-fast-to-tank-backup-fast', 'zfs-scrub', 'zfs-health', 'offsite-backup-offsite', 'offsite-restore-test-offsite']) {
      expect(units).toContain(`${unit.replace(/\./g, '\\\\.')}\\\\.service`);
    }
    expect(rules().map((r) => r.alert)).toEqual(expect.arrayContaining(['HostDown', 'ZfsPoolNotOnline', 'ZfsPoolCapacity', 'ZfsDeviceErrors', 'DiskSmartFailed', 'OffsiteBackupStale', 'RestoreTestStale']));
  });

  // The unit names come from nixpkgs' nixos/modules/tasks/filesystems/zfs.nix, which makes
  // services.zfs.autoScrub the unit zfs-scrub and services.zfs.trim the unit zpool-trim.
  it('watches the scrub and TRIM units by the names NixOS gives them (zfs-scrub, zpool-trim), in the alert and on the dashboard', () => {
    const zfs = evalModule(path.join(nixDir, 'hosts/maxdata/zfs.nix')).services.zfs;
    expect(zfs.autoScrub.enable).toBe(true);
    expect(zfs.trim.enable).toBe(true);
    const units = rules().find((r) => r.alert === 'DataProtectionUnitFailed')!.expr as string;
    const dashboard = fs.readFileSync(path.join(nixDir, 'hosts/maxdata/grafana-dashboards/homelab.json'), 'utf8');
    for (const watched of [units, dashboard]) {
      expect(watched).toMatch(/zfs-scrub\\+\.service/);
      expect(watched).toMatch(/zpool-trim\\+\.service/);
      expect(watched).not.toContain('zfs-trim');
    }
  });

  it('fires the special vdev alert on the metrics the health check writes for a special vdev at 85 %', () => {
    const dir = tempDir('homelab-promtest-');
    fs.copyFileSync(rulesFile, path.join(dir, 'prometheus-rules.yml'));
    const prom = runHealthCheck('special-85');
    const ratio = /homelab_zfs_special_vdev_allocated_ratio\{pool="tank",vdev="mirror-1"\} ([0-9.]+)/.exec(prom)![1];
    const series = `homelab_zfs_special_vdev_allocated_ratio{host="maxdata",pool="tank",vdev="mirror-1"}`;
    const rule = rules().find((r) => r.alert === 'ZfsSpecialVdevFull')!;
    const percent = String(Number((Number(ratio) * 100).toPrecision(4))); // Prometheus's humanize
    fs.writeFileSync(
      path.join(dir, 'test.yml'),
      stringify({
        rule_files: ['prometheus-rules.yml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            // 10 minutes at 79 %, then the fixture's 85 %
            input_series: [{ series, values: `0.79x10 ${ratio}x10` }],
            alert_rule_test: [
              { eval_time: '5m', alertname: 'ZfsSpecialVdevFull', exp_alerts: [] },
              {
                eval_time: '15m',
                alertname: 'ZfsSpecialVdevFull',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'warning', host: 'maxdata', pool: 'tank', vdev: 'mirror-1' },
                    exp_annotations: { summary: `The special vdev mirror-1 of tank on maxdata is ${percent}% full`, description: rule.annotations.description },
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const r = spawnSync('promtool', ['test', 'rules', path.join(dir, 'test.yml')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('provisions Grafana with the Prometheus and Loki of the model, and the lab dashboard', () => {
    const grafana = server.services.grafana;
    const sources = grafana.provision.datasources.settings.datasources as any[];
    expect(sources.map((s) => [s.type, s.url])).toEqual([
      ['prometheus', `http://127.0.0.1:${ref.operations.monitoring.prometheusPort}`],
      ['loki', `http://127.0.0.1:${server.services.loki.configuration.server.http_listen_port}`],
    ]);
    const provider = grafana.provision.dashboards.settings.providers[0];
    // the folder beside monitoring.nix (a path, which Nix copies to the store)
    expect(provider.options.path).toBe(path.join(nixDir, 'hosts/maxdata/grafana-dashboards'));
    const dashboard = JSON.parse(fs.readFileSync(path.join(nixDir, 'hosts/maxdata/grafana-dashboards/homelab.json'), 'utf8'));
    const uids = new Set(sources.map((s) => s.uid));
    const panels = dashboard.panels as any[];
    expect(panels.every((p) => uids.has(p.datasource.uid) && p.targets.every((t: any) => uids.has(t.datasource.uid)))).toBe(true);
    const exprs = panels.flatMap((p) => p.targets.map((t: any) => t.expr)).join('\n');
    for (const metric of ['up{job="node"}', 'node_cpu_seconds_total', 'node_memory_MemAvailable_bytes', 'zfs_pool_health', 'zfs_pool_allocated_bytes', 'homelab_zfs_special_vdev_allocated_ratio']) {
      expect(exprs).toContain(metric);
    }
    expect(grafana.settings.server.http_port).toBe(3000);
  });

  it('gives Grafana its admin password and secret key by file, never by value', () => {
    const security = server.services.grafana.settings.security;
    expect(security.admin_password).toBe('$__file{/run/secrets/grafana-admin-password}');
    expect(security.secret_key).toBe('$__file{/run/secrets/grafana-secret-key}');
    expect(server.sops.secrets['grafana-admin-password']).toMatchObject({ owner: 'grafana', mode: '0400' });
  });

  it('ships every host\'s journal to the Loki of maxdata, labelled with the host', () => {
    for (const host of Host.all(ref.lab)) {
      const alloy = fs.readFileSync(path.join(nixDir, 'hosts', host.hostName, 'log-shipping.alloy'), 'utf8');
      expect(alloy).toContain(`url = "http://${ref.maxdata.ipAddress}:3100/loki/api/v1/push"`);
      expect(alloy).toContain(`labels        = { host = "${host.hostName}", job = "systemd-journal" }`);
      const module = evalModule(path.join(nixDir, 'hosts', host.hostName, 'monitoring-exporters.nix'));
      expect(module.services.alloy.enable).toBe(true);
      expect(module.environment.etc['alloy/config.alloy'].source).toBe(path.join(nixDir, 'hosts', host.hostName, 'log-shipping.alloy'));
    }
  });

  it('makes maxdata\'s ZFS health check write its metrics where the node exporter reads them', () => {
    const exporters = evalModule(path.join(nixDir, 'hosts/maxdata/monitoring-exporters.nix'));
    const flag = exporters.services.prometheus.exporters.node.extraFlags.find((f: string) => f.startsWith('--collector.textfile.directory='));
    expect(flag).toBe(`--collector.textfile.directory=${exporters.homelab.zfsHealth.textfileDirectory}`);
    // the Pi has no pools: no ZFS health option to set
    expect(evalModule(path.join(nixDir, 'hosts/pi-network/monitoring-exporters.nix')).homelab).toBeUndefined();
  });
});

/** Runs scripts/zfs-health.sh with a fake zpool answering from a storage fixture; returns its metrics. */
function runHealthCheck(fixture: string): string {
  const dir = tempDir('homelab-zfs-health-');
  const zpool = path.join(dir, 'zpool');
  const fixtures = path.join(__dirname, '../storage/fixtures/zfs-health', fixture);
  fs.writeFileSync(
    zpool,
    `#!/usr/bin/env bash\npool="\${!#}"\ncase "$1 $*" in\n  "list list -H -o name") for f in ${fixtures}/*.list; do basename "$f" .list; done ;;\n  list*) cat ${fixtures}/$pool.list ;;\n  status*) cat ${fixtures}/$pool.status ;;\nesac\n`,
    { mode: 0o755 },
  );
  const out = path.join(dir, 'metrics', 'zfs-health.prom');
  spawnSync('bash', [path.join(nixDir, 'scripts/zfs-health.sh'), '--textfile', out], { env: { ...process.env, ZPOOL: zpool, JOURNAL_STREAM: '' } });
  const text = fs.readFileSync(out, 'utf8');
  execFileSync('promtool', ['check', 'metrics'], { input: text });
  return text;
}
