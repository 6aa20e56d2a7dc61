/**
 * ARCHITECTURE.md stays true where it can be checked: its layer table names the folders the import
 * graph test enforces, its entry points are the package's exports, and the values it traces
 * through the reference lab are in the synthesized files where it says.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeReferenceLab } from '../support/reference';
import { LAYERS, ROOT, sourceFiles } from './import-graph';

const doc = fs.readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
/** The rows of the Markdown table under `heading`, as arrays of cells. */
function table(heading: string): string[][] {
  const section = doc.split(/^## /m).find((s) => s.startsWith(heading));
  if (!section) throw new Error(`ARCHITECTURE.md has no section "${heading}"`);
  return section
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|[-| ]+\|$/.test(l))
    .slice(1)
    .map((l) => l.slice(1, -1).split('|').map((c) => c.trim()));
}
const codes = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

describe('ARCHITECTURE.md', () => {
  it('names the folders of each layer, as the import graph test enforces them', () => {
    const rows = table('Layers').filter((r) => Object.keys(LAYERS).includes(r[0]));
    expect(Object.fromEntries(rows.map((r) => [r[0], codes(r[1])]))).toEqual(LAYERS);
  });

  it('covers every folder of lib/', () => {
    const folders = [...new Set(sourceFiles('lib').filter((f) => f.split('/').length > 2).map((f) => f.split('/')[1]))].sort();
    expect(Object.values(LAYERS).flat().sort()).toEqual(folders);
  });

  it('lists the entry points package.json exports, with their files', () => {
    const rows = table('Layers').filter((r) => r[0].startsWith('`homelab-cdk'));
    const stated = Object.fromEntries(rows.map((r) => [codes(r[0])[0], codes(r[1])[0]]));
    const exported = Object.fromEntries(
      Object.entries<{ default: string } | string>(pkg.exports)
        .filter(([, target]) => typeof target !== 'string')
        .map(([subpath, target]) => [subpath === '.' ? 'homelab-cdk' : `homelab-cdk/${subpath.slice(2)}`, (target as { default: string }).default.replace(/^\.\/build\/(.*)\.js$/, '$1.ts')]),
    );
    expect(stated).toEqual(exported);
    const entryFiles = sourceFiles('lib').filter((f) => f.split('/').length === 2);
    expect(Object.values(stated).sort()).toEqual(entryFiles);
  });

  describe('the life of a value, in the synthesized reference lab', () => {
    let read: (file: string) => string;
    beforeAll(() => {
      const out = synthesizeReferenceLab().result.outdir;
      read = (file) => fs.readFileSync(path.join(out, file), 'utf8');
    }, 120_000);

    it('Terraform: the VM k3s-node2 with the MAC on vmbr0', () => {
      expect(doc).toContain('`aa:25:23:fe:cd:9c`');
      const vms = Object.values<any>(JSON.parse(read('terraform/prod/cdk.tf.json')).resource.proxmox_virtual_environment_vm);
      const vm = vms.find((v) => v.name === 'k3s-node2');
      expect(vm.network_device).toEqual([expect.objectContaining({ mac_address: 'aa:25:23:fe:cd:9c', bridge: 'vmbr0' })]);
    });

    it("Nix: the lease on the Pi's dnsmasq and the host name", () => {
      expect(doc).toContain('`aa:25:23:fe:cd:9c,192.168.178.102,k3s-node2`');
      expect(read('nix/hosts/pi-network/dnsmasq.nix')).toContain('"aa:25:23:fe:cd:9c,192.168.178.102,k3s-node2"');
      expect(read('nix/hosts/k3s-node2/configuration.nix')).toContain('hostName = "k3s-node2";');
      expect(read('nix/hosts/pi-network/dnsmasq.nix')).toContain('server = [ "127.0.0.1#5353"');
    });

    it('Kubernetes: AdGuard Home on the node pi-network, on hostPort 5353', () => {
      const objects = parseAllDocuments(read('k8s/adguard-home.k8s.yaml')).map((d) => d.toJSON());
      const text = JSON.stringify(objects);
      expect(text).toContain('{"key":"kubernetes.io/hostname","operator":"In","values":["pi-network"]}');
      expect(text).toContain('"hostPort":5353');
    });
  });
});
