/**
 * The path CONTRIBUTING.md describes, walked by a construct that lives in a test fixture: an
 * NfsExport with a systemd unit, an alert and a host role. No file of the library knows it; its
 * role must reach the summary and the diagram, its unit the watched units and its alert the
 * Prometheus rules, which promtool must accept.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { labDiagram, Monitoring, renderNixFlake, summarizeLab, validateLab } from '../../lib/internal';
import { GRAFANA, opsLab } from '../operations/support';
import { tempDir } from '../support/labs';
import { evalModule } from '../support/nix';
import { NfsExport, renderNfsExports } from './fixtures/nfs-export';

function nfsLab() {
  const ops = opsLab();
  new NfsExport(ops.nas, 'media', { path: '/tank/media' });
  return ops;
}

function rulesOf(files: ReadonlyArray<{ path: string; content: string }>): { groups: Array<{ name: string; rules: Array<Record<string, any>> }> } {
  return parse(files.find((f) => f.path === 'hosts/nas/prometheus-rules.yml')!.content);
}

describe('a construct added from outside the library (NfsExport, a test fixture)', () => {
  it('gives its host its role in the summary and the diagram', () => {
    const { lab } = nfsLab();
    const nas = summarizeLab(lab, validateLab(lab)).hosts.find((h) => h.name === 'nas')!;
    expect(nas.roles).toEqual(['pool tank', 'monitoring (Prometheus, Grafana, Loki)', 'NFS /tank/media']);
    expect(labDiagram(lab)).toContain('nas<br/>10.0.0.5<br/>NFS');
  });

  it('renders its module through extraRenderers, before the escape hatches', () => {
    const { lab, nas } = nfsLab();
    nas.addNixSettings({ services: { nfs: { server: { nproc: 16 } } } });
    const files = renderNixFlake(lab, { extraRenderers: [renderNfsExports] });
    const module = files.find((f) => f.path === 'hosts/nas/nfs-exports.nix')!;
    const dir = tempDir('homelab-nfs-');
    fs.writeFileSync(path.join(dir, 'nfs-exports.nix'), module.content);
    expect(evalModule(path.join(dir, 'nfs-exports.nix')).services.nfs.server).toEqual({ enable: true, exports: '/tank/media 10.0.0.0/24(rw,no_subtree_check)\n' });
    const configuration = files.find((f) => f.path === 'hosts/nas/configuration.nix')!.content;
    expect(configuration.indexOf('./nfs-exports.nix')).toBeGreaterThan(configuration.indexOf('./monitoring-exporters.nix'));
    expect(configuration.indexOf('./extra.nix')).toBeGreaterThan(configuration.indexOf('./nfs-exports.nix'));
  });

  it('has its unit watched and its alert in the rules, which promtool accepts', () => {
    const { lab } = nfsLab();
    const files = renderNixFlake(lab, { extraRenderers: [renderNfsExports] });
    const rules = rulesOf(files);
    const failed = rules.groups.find((g) => g.name === 'homelab-hosts')!.rules.find((r) => r.alert === 'DataProtectionUnitFailed' && r.labels.host === 'nas')!;
    expect(failed.expr).toContain('nfs-server\\\\.service');
    const catchAll = rules.groups.find((g) => g.name === 'homelab-hosts')!.rules.find((r) => r.alert === 'UnitFailed')!;
    expect(catchAll.expr).toContain('name!~');
    expect(catchAll.expr).toContain('nfs-server\\\\.service');
    expect(rules.groups.map((g) => g.name)).toEqual(['homelab-hosts', 'homelab-zfs', 'homelab-disks', 'homelab-nfs']);
    expect(rules.groups.find((g) => g.name === 'homelab-nfs')!.rules.map((r) => [r.alert, r.labels.host])).toEqual([['NfsServerNotActive', 'nas']]);
    const dashboard = JSON.parse(files.find((f) => f.path === 'hosts/nas/grafana-dashboards/homelab.json')!.content);
    expect(JSON.stringify(dashboard.panels.at(-1).targets)).toContain('nfs-server\\\\\\\\.service');

    const file = path.join(tempDir('homelab-nfs-rules-'), 'rules.yml');
    fs.writeFileSync(file, files.find((f) => f.path === 'hosts/nas/prometheus-rules.yml')!.content);
    const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain(`SUCCESS: ${rules.groups.flatMap((g) => g.rules).length} rules found`);
    expect(check.status).toBe(0);
  });

  it('alerts only about hosts the monitoring watches', () => {
    const { lab, nas, web } = opsLab(false);
    new Monitoring(nas, 'monitoring', { grafana: GRAFANA, hosts: [nas] });
    new NfsExport(web, 'scratch', { path: '/srv/scratch' });
    const rules = rulesOf(renderNixFlake(lab, { extraRenderers: [renderNfsExports] }));
    expect(rules.groups.map((g) => g.name)).not.toContain('homelab-nfs');
  });

  it('leaves no trace without its renderer: the seam is the renderer, not a list in the library', () => {
    const { lab } = nfsLab();
    const files = renderNixFlake(lab);
    expect(files.map((f) => f.path)).not.toContain('hosts/nas/nfs-exports.nix');
    expect(rulesOf(files).groups.map((g) => g.name)).not.toContain('homelab-nfs');
    expect(files.find((f) => f.path === 'hosts/nas/prometheus-rules.yml')!.content).not.toContain('nfs-server');
  });
});
