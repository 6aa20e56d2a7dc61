/**
 * The reference lab's outputs agree with each other: a value stated once in the model reaches
 * every output that needs it, the same.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ReferenceLab } from '../../apps/reference-lab';
import { evalModule } from '../support/nix';
import { synthesizeReferenceLab } from '../support/reference';

let ref: ReferenceLab;
let outdir: string;
let leases: Map<string, { mac: string; ip: string }>;
let tf: any;

beforeAll(() => {
  const synth = synthesizeReferenceLab();
  ref = synth.ref;
  outdir = synth.result.outdir;
  const dnsmasq = evalModule(path.join(outdir, 'nix/hosts/pi-network/dnsmasq.nix'));
  leases = new Map(
    (dnsmasq.services.dnsmasq.settings['dhcp-host'] as string[]).map((line) => {
      const [mac, ip, name] = line.split(',');
      return [name, { mac, ip }];
    }),
  );
  tf = JSON.parse(fs.readFileSync(path.join(outdir, 'terraform/prod/cdk.tf.json'), 'utf8'));
});

describe('the reference lab across its outputs', () => {
  it('gives each NixOS VM one MAC: its Terraform NIC, its DHCP lease and its Host', () => {
    const vms = Object.values(tf.resource.proxmox_virtual_environment_vm) as any[];
    for (const host of ref.k3sNodes) {
      const vm = vms.find((v) => v.name === host.hostName);
      expect(vm, host.hostName).toBeDefined();
      expect(vm.network_device[0].mac_address).toBe(host.macAddress);
      expect(leases.get(host.hostName)).toEqual({ mac: host.macAddress, ip: host.ipAddress });
    }
  });

  it('leases every host of the lab its address, and nothing the model does not have', () => {
    expect([...leases.keys()].sort()).toEqual(['k3s-node1', 'k3s-node2', 'k3s-node3', 'maxdata', 'pi-network']);
    expect(leases.get('maxdata')).toEqual({ mac: ref.maxdata.macAddress, ip: '192.168.178.97' });
    expect(leases.get('pi-network')).toEqual({ mac: ref.piNetwork.macAddress, ip: '192.168.178.10' });
  });

  it('points Terraform at the Proxmox host of the model, and Wake-on-LAN at its MAC', () => {
    const provider = Array.isArray(tf.provider.proxmox) ? tf.provider.proxmox[0] : tf.provider.proxmox;
    expect(provider.endpoint).toBe(`https://${ref.maxdata.ipAddress}:8006`);
    const wake = fs.readFileSync(path.join(outdir, 'nix/hosts/pi-network/wake-on-lan.nix'), 'utf8');
    expect(wake).toContain(ref.maxdata.macAddress!);
    expect(wake).toContain('8006');
  });

  it('forwards the Pi\'s DNS to AdGuard Home at the port its pod publishes', () => {
    const dnsmasq = evalModule(path.join(outdir, 'nix/hosts/pi-network/dnsmasq.nix'));
    expect(dnsmasq.services.dnsmasq.settings.server[0]).toBe(`127.0.0.1#${ref.k3s.adguard.dnsPort}`);
    const manifest = fs.readFileSync(path.join(outdir, 'k8s/adguard-home.k8s.yaml'), 'utf8');
    expect(manifest).toContain(`hostPort: ${ref.k3s.adguard.dnsPort}`);
  });

  it('puts the k3s agents on the server the model names', () => {
    for (const host of [ref.k3sNodes[1], ref.k3sNodes[2], ref.piNetwork]) {
      const k3s = evalModule(path.join(outdir, `nix/hosts/${host.hostName}/k3s.nix`), ['k3s_1_35']);
      expect(k3s.services.k3s.serverAddr).toBe(`https://${ref.k3sNodes[0].ipAddress}:6443`);
    }
  });
});
