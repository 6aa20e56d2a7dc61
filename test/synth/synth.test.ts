import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Homelab, loadLab, runCli, synthesize, ValidationError } from '../../lib/internal';
import { buildReferenceLab } from '../../apps/reference-lab';
import { readTree, smallLab, tempDir, vmHost } from '../support/labs';

const REPO = path.resolve(__dirname, '../..');

/** Runs the CLI in-process and captures what it prints. */
async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A lab with three errors in three constructs. */
function brokenLab(): Homelab {
  const { lab } = smallLab();
  vmHost(lab, 'a', '10.0.0.10');
  vmHost(lab, 'b', '10.0.0.10');
  vmHost(lab, 'c', '10.9.9.9', { hostName: 'C!' });
  return lab;
}

describe('synthesize', () => {
  it('writes byte-identical output for the same model, and rewrites nothing the second time', () => {
    const dir = tempDir();
    const first = synthesize(buildReferenceLab().lab, { outdir: dir });
    const tree = readTree(dir);
    const second = synthesize(buildReferenceLab().lab, { outdir: dir });
    expect(readTree(dir)).toEqual(tree);
    expect(second.plan.unchanged.length).toBe(first.files.length);
    expect(second.plan.added.length + second.plan.changed.length + second.plan.removed.length).toBe(0);
    expect(Object.keys(tree)).toContain('nix/flake.nix');
  });

  it('reports every error of a broken model at once and leaves the earlier output untouched', () => {
    const dir = tempDir();
    synthesize(buildReferenceLab().lab, { outdir: dir });
    const before = readTree(dir);
    let error: ValidationError | undefined;
    try {
      synthesize(brokenLab(), { outdir: dir });
    } catch (e) {
      error = e as ValidationError;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error!.report.errors.map((e) => e.path)).toEqual(['testlab/b', 'testlab/c', 'testlab/c']);
    expect(readTree(dir)).toEqual(before);
  });

  it('removes the files of a host that left the lab', () => {
    const dir = tempDir();
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.10');
    vmHost(lab, 'old', '10.0.0.11');
    synthesize(lab, { outdir: dir });
    const { lab: smaller } = smallLab();
    vmHost(smaller, 'web', '10.0.0.10');
    const result = synthesize(smaller, { outdir: dir });
    expect(result.plan.removed).toEqual(expect.arrayContaining(['nix/hosts/old/configuration.nix', 'nix/hosts/old/hardware.nix']));
    expect(fs.existsSync(path.join(dir, 'nix/hosts/old'))).toBe(false);
  });
});

describe('the homelab CLI', () => {
  it('synthesizes the reference lab from its TypeScript app and prints its summary', async () => {
    const dir = tempDir();
    const r = await cli(['synth', '--app', path.join(REPO, 'apps/main.ts'), '--out', dir, '--secrets', tempDir()]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(fs.existsSync(path.join(dir, 'nix/hosts/pi-network/configuration.nix'))).toBe(true);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('homelab (local, 192.168.178.0/24): 5 hosts, 8 VMs, 2 ZFS pools');
    expect(lines).toContainEqual(expect.stringMatching(/^  maxdata +192\.168\.178\.97 +a8:a1:59:3c:12:7e +x86_64-linux +Proxmox VE hypervisor \[.*Proxmox VE \(8 VMs\)/));
    // Its monitoring and backup roles too.
    expect(lines.find((l) => l.startsWith('  maxdata '))).toMatch(/VM backups nightly, monitoring \(Prometheus, Grafana, Loki\), off-site backup offsite, off-site backup vm-archives\]$/);
    expect(lines).toContainEqual(expect.stringMatching(/^  maxdata\/tank: raidz1 4 × 3\.6 TiB → 10\.9 TiB usable; special mirror/));
    expect(lines).toContainEqual(expect.stringMatching(/^  memory: \d+ GiB committed \(VMs \d+ GiB \+ ZFS ARC maximum 16 GiB\); RAM 32 GiB: over by/));
    // The reference lab's warnings: maxdata's VMs and ARC commit more than its RAM (the lab's
    // facts do), and its domain "local" is also mDNS's. It acknowledges its unmirrored L2ARC, and
    // the EFI disk the first apply adds to the adopted windows11. Its secrets were not initialised
    // in the empty --secrets folder, and no proxmox-nixos revision builds from its NixOS 26.05 yet.
    expect(lines).toContain('Warnings: 4 (2 acknowledged, not shown)');
    expect(lines).toContainEqual(expect.stringMatching(/^  homelab\/maxdata\/proxmox: proxmox-nixos c1f79f1 builds Proxmox VE from NixOS 25.11, and the lab runs 26.05.*\[homelab-cdk:proxmox-nixos-release\]$/));
    expect(lines).toContainEqual(expect.stringMatching(/^  homelab: the lab's hosts read the sops secrets grafana-admin-password, grafana-secret-key, k3s-token, storagebox-ssh-key, but its secrets were never initialised .*Fix: run `homelab secrets init`.*\[homelab-cdk:secrets-not-initialised\]$/));
    expect(lines).toContainEqual(expect.stringMatching(/^  homelab\/maxdata\/proxmox: maxdata commits \d+ GiB .*\[homelab-cdk:memory-overcommit\]$/));
    expect(lines).toContainEqual(expect.stringMatching(/^  homelab\/pi-network\/dnsmasq: the domain "local" is also mDNS's .*\[homelab-cdk:mdns-domain\]$/));
    expect(lines[lines.length - 1]).toMatch(/^\d+ files in .* \(\d+ added, 0 changed, 0 unchanged, 0 removed\) in \d+ ms$/);
  });

  it('prints the summary as JSON for scripts, and nothing with --quiet', async () => {
    const dir = tempDir();
    const json = await cli(['synth', '--app', path.join(REPO, 'apps/main.ts'), '--out', dir, '--json']);
    expect(json.code).toBe(0);
    const summary = JSON.parse(json.out);
    expect(summary.hosts.map((h: any) => h.name)).toEqual(['k3s-node1', 'k3s-node2', 'k3s-node3', 'maxdata', 'pi-network']);
    expect(summary.pools.find((p: any) => p.name === 'tank').usable.bytes).toBeGreaterThan(11.9e12);
    expect(summary.vms.map((v: any) => v.vmid)).toEqual([100, 101, 110, 111, 120, 201, 202, 203]);
    expect(summary.memoryBudgets[0]).toMatchObject({ host: 'maxdata', ram: { text: '32 GiB' }, reservations: [{ what: 'ZFS ARC maximum', size: { text: '16 GiB' } }] });
    expect(summary.output).toMatchObject({ changed: 0, unchanged: 0, removed: 0 });
    expect(summary.output.added).toBe(summary.output.files);
    const quiet = await cli(['synth', '--app', path.join(REPO, 'apps/main.ts'), '--out', dir, '--quiet']);
    expect(quiet).toEqual({ code: 0, out: '', err: '' });
  });

  it('exits 1 with every error and writes nothing for a broken lab', async () => {
    const appDir = tempDir();
    const app = path.join(appDir, 'broken.ts');
    fs.writeFileSync(
      app,
      `import { HardwareProfile, Homelab, Host } from ${JSON.stringify(path.join(REPO, 'lib'))};
export default function () {
  const lab = new Homelab({ name: 'broken', network: { cidr: '10.0.0.0/24' } });
  new Host(lab, 'a', { hardware: HardwareProfile.qemuGuest(), ipAddress: '10.0.0.10' });
  new Host(lab, 'b', { hardware: HardwareProfile.qemuGuest(), ipAddress: '10.0.0.10', hostId: 'xyz' });
  return lab;
}
`,
    );
    const out = path.join(appDir, 'dist');
    const r = await cli(['synth', '--app', app, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error broken/b: IP address 10.0.0.10 is already used by broken/a. Fix: give each device its own address.');
    expect(r.err).toContain('error broken/b: hostId "xyz" is not eight lower-case hex digits.');
    expect(r.err).toMatch(/2 error\(s\); nothing was written\./);
    expect(fs.existsSync(out)).toBe(false);
    const json = await cli(['synth', '--app', app, '--out', out, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out).errors.map((e: any) => e.path)).toEqual(['broken/b', 'broken/b']);
  });

  it('validates without writing', async () => {
    const r = await cli(['validate', '--app', path.join(REPO, 'apps/main.ts')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/homelab: valid/);
  });

  it('exits 2 on a usage error and 1 on a missing app', async () => {
    expect((await cli(['synth', '--no-such-flag'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
    const missing = await cli(['synth', '--app', '/nonexistent/app.ts']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/app file \/nonexistent\/app\.ts does not exist/);
  });
});

describe('loadLab', () => {
  it('accepts a default export, a "lab" export, or a function returning a lab; refuses anything else', () => {
    const dir = tempDir();
    const lib = JSON.stringify(path.join(REPO, 'lib'));
    const write = (name: string, body: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, `const { Homelab } = require(${lib});\n${body}\n`);
      return file;
    };
    expect(loadLab(write('a.ts', `module.exports = { lab: new Homelab({ name: 'a', network: { cidr: '10.0.0.0/24' } }) };`)).name).toBe('a');
    expect(loadLab(write('b.ts', `exports.default = () => new Homelab({ name: 'b', network: { cidr: '10.0.0.0/24' } });`)).name).toBe('b');
    expect(() => loadLab(write('c.ts', `module.exports = { something: 1 };`))).toThrow(/does not export a Homelab\. Fix: export it as default/);
  });
});
