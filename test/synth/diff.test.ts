import { describe, expect, it } from 'vitest';
import { diffLab, runCli, synthesize } from '../../lib/internal';
import { readTree, smallLab, tempDir, vmHost } from '../support/labs';

function lab(packages: string[], extraHost = false) {
  const { lab } = smallLab();
  vmHost(lab, 'web', '10.0.0.10', { packages });
  if (extraHost) vmHost(lab, 'db', '10.0.0.11');
  return lab;
}

describe('homelab diff', () => {
  it('shows exactly the effect of a one-line model change, and writes nothing', () => {
    const dir = tempDir();
    synthesize(lab(['htop']), { outdir: dir });
    const before = readTree(dir);
    const { changes } = diffLab(lab(['htop', 'tmux']), { outdir: dir });
    expect(changes.map((c) => [c.kind, c.path])).toEqual([['changed', 'nix/hosts/web/configuration.nix']]);
    const added = changes[0].patch.split('\n').filter((l) => /^[+-][^+-]/.test(l));
    expect(added).toEqual(['-  environment.systemPackages = [ pkgs.htop ];', '+  environment.systemPackages = [ pkgs.htop pkgs.tmux ];']);
    expect(changes[0].patch).toMatch(/^--- a\/nix\/hosts\/web\/configuration.nix\n\+\+\+ b\/nix\/hosts\/web\/configuration.nix/);
    expect(readTree(dir)).toEqual(before);
  });

  it('lists added and removed files', () => {
    const dir = tempDir();
    synthesize(lab(['htop'], true), { outdir: dir });
    const { changes } = diffLab(lab(['htop']), { outdir: dir });
    expect(changes.filter((c) => c.kind === 'removed').map((c) => c.path)).toEqual(['nix/hosts/db/configuration.nix', 'nix/hosts/db/hardware.nix']);
    expect(changes.find((c) => c.path === 'nix/hosts/db/hardware.nix')!.patch).toMatch(/^--- a\/nix\/hosts\/db\/hardware.nix\n\+\+\+ \/dev\/null/);
    const fresh = diffLab(lab(['htop']), { outdir: tempDir() });
    expect(fresh.changes.every((c) => c.kind === 'added')).toBe(true);
  });

  it('reports "no changes" from the CLI after a synth', async () => {
    const dir = tempDir();
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: () => undefined };
    expect(await runCli(['synth', '--app', 'apps/main.ts', '--out', dir, '-q'], io)).toBe(0);
    expect(await runCli(['diff', '--app', 'apps/main.ts', '--out', dir], io)).toBe(0);
    expect(out.join('\n')).toBe('homelab: no changes');
  });
});
