/**
 * `homelab diff` after a one-line change to the reference lab's source shows exactly that
 * change's effect, in each output it reaches, and nowhere else.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffLab, loadLab, synthesize } from '../../lib/internal';
import { tempDir } from '../support/labs';

const REPO = path.resolve(__dirname, '../..');

/** A copy of apps/ in which `from` (once in `file`) reads `to`; returns its main app file. */
function editedApps(edit?: { file: string; from: string; to: string }): string {
  const dir = tempDir('apps-');
  for (const rel of ['main.ts', ...fs.readdirSync(path.join(REPO, 'apps/reference-lab')).map((f) => `reference-lab/${f}`)]) {
    let text = fs.readFileSync(path.join(REPO, 'apps', rel), 'utf8').replace(/'\.\.\/\.\.\/lib'/g, JSON.stringify(path.join(REPO, 'lib')));
    if (rel === edit?.file) {
      expect(text.split(edit.from).length - 1, `${edit.from} occurs once in ${edit.file}`).toBe(1);
      text = text.replace(edit.from, edit.to);
    }
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return path.join(dir, 'main.ts');
}

/** The changed lines (without context) of each changed file. */
function changedLines(outdir: string, app: string): Record<string, string[]> {
  const { changes } = diffLab(loadLab(app), { outdir });
  return Object.fromEntries(changes.map((c) => [c.path, c.patch.split('\n').filter((l) => /^[+-](?![+-]{2} )/.test(l))]));
}

describe('homelab diff on the reference lab', () => {
  const outdir = tempDir('ref-dist-');
  synthesize(loadLab(editedApps()), { outdir });

  it('moving AdGuard Home to another port changes the Pi\'s dnsmasq upstream and the pod\'s hostPorts, nothing else', () => {
    const changes = changedLines(outdir, editedApps({ file: 'reference-lab/cluster.ts', from: 'dnsPort: 5353,', to: 'dnsPort: 5354,' }));
    expect(Object.keys(changes)).toEqual(['k8s/adguard-home.k8s.yaml', 'nix/hosts/pi-network/dnsmasq.nix']);
    expect(changes['nix/hosts/pi-network/dnsmasq.nix']).toEqual([
      '-#   1. 127.0.0.1#5353: AdGuard Home',
      '+#   1. 127.0.0.1#5354: AdGuard Home',
      '-      server = [ "127.0.0.1#5353" "1.1.1.1" "8.8.8.8" ];',
      '+      server = [ "127.0.0.1#5354" "1.1.1.1" "8.8.8.8" ];',
    ]);
    expect(changes['k8s/adguard-home.k8s.yaml'].filter((l) => l.startsWith('+'))).toEqual(['+              hostPort: 5354', '+              hostPort: 5354']);
  });

  it('giving web-1 more memory changes only its VM in the Terraform stack', () => {
    const changes = changedLines(
      outdir,
      editedApps({
        file: 'reference-lab/compute.ts',
        from: "standard.addVm('web-1', { vmid: 110, cores: 4, adopt: existing });",
        to: "standard.addVm('web-1', { vmid: 110, cores: 4, memory: Size.mebibytes(6144), adopt: existing });",
      }),
    );
    expect(Object.keys(changes)).toEqual(['terraform/prod/cdk.tf.json']);
    expect(changes['terraform/prod/cdk.tf.json']).toEqual(['-          "dedicated": 4096', '+          "dedicated": 6144']);
  });
});
