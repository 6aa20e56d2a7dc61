/**
 * Every fact of the reference homelab (its description, kept beside the project as
 * reference-homelab.md) can be found in the outputs of `homelab synth` on apps/: one assertion
 * per fact, read back from the synthesized files with the real Nix, JSON and YAML parsers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { ReferenceLab } from '../../apps/reference-lab';
import { summarizeLab, validateLab } from '../../lib';
import { evalModule } from '../support/nix';
import { synthesizeReferenceLab } from '../support/reference';

let ref: ReferenceLab;
let out: string;
let tf: any;
let vms: Record<string, any>;
let k8s: any[];
/** A generated module read back by Nix, with stand-ins for what proxmox.nix reads of config and inputs. */
const nix = (file: string, packages: readonly string[] = []) =>
  evalModule(
    path.join(out, 'nix', file),
    packages,
    '{ config.services.proxmox-ve.package = "pkg:proxmox-ve"; inputs.proxmox-nixos.overlays.x86_64-linux = "overlay"; }',
  );
const read = (file: string) => fs.readFileSync(path.join(out, file), 'utf8');

beforeAll(() => {
  const synth = synthesizeReferenceLab();
  ref = synth.ref;
  out = synth.result.outdir;
  tf = JSON.parse(read('terraform/prod/cdk.tf.json'));
  vms = Object.fromEntries(Object.values<any>(tf.resource.proxmox_virtual_environment_vm).map((vm) => [vm.name, vm]));
  k8s = parseAllDocuments(read('k8s/adguard-home.k8s.yaml')).map((d) => d.toJSON());
});

describe('network', () => {
  it('one flat LAN 192.168.178.0/24, bridged into VMs as vmbr0 on the Proxmox host', () => {
    const proxmox = nix('hosts/maxdata/proxmox.nix');
    expect(proxmox.networking.bridges.vmbr0.interfaces).toEqual(['enp3s0']);
    expect(proxmox.services['proxmox-ve'].bridges).toEqual(['vmbr0']);
    expect(Object.values(vms).every((vm) => vm.network_device[0].bridge === 'vmbr0')).toBe(true);
    expect(nix('hosts/maxdata/configuration.nix', ref.maxdata.packages).networking.interfaces.vmbr0.ipv4.addresses).toEqual([{ address: '192.168.178.97', prefixLength: 24 }]);
  });

  it('local domain "local"', () => {
    expect(nix('hosts/maxdata/configuration.nix', ref.maxdata.packages).networking.domain).toBe('local');
    expect(nix('hosts/pi-network/dnsmasq.nix').services.dnsmasq.settings.domain).toBe('local');
  });

  it('DHCP dynamic range .50–.200, and the static leases of the five hosts', () => {
    const settings = nix('hosts/pi-network/dnsmasq.nix').services.dnsmasq.settings;
    expect(settings['dhcp-range']).toMatch(/^192\.168\.178\.50,192\.168\.178\.200,/);
    expect(settings['dhcp-host']).toEqual(
      expect.arrayContaining([
        `${ref.maxdata.macAddress},192.168.178.97,maxdata`,
        `${ref.piNetwork.macAddress},192.168.178.10,pi-network`,
        `${ref.k3sNodes[0].macAddress},192.168.178.101,k3s-node1`,
        `${ref.k3sNodes[1].macAddress},192.168.178.102,k3s-node2`,
        `${ref.k3sNodes[2].macAddress},192.168.178.103,k3s-node3`,
      ]),
    );
  });

  it('boot order: the Pi wakes the Proxmox host, VMs start on boot, the control plane first', () => {
    const wake = read('nix/hosts/pi-network/wake-on-lan.nix');
    expect(wake).toContain(ref.maxdata.macAddress!);
    // Armed at every boot on the NIC whose permanent MAC the Pi's packets carry.
    expect(nix('hosts/maxdata/wake-on-lan-nic.nix', ['ethtool']).systemd.services['wake-on-lan-arm'].environment.WOL_MAC).toBe(ref.maxdata.macAddress);
    expect(Object.values(vms).every((vm) => vm.on_boot === true && vm.started === true)).toBe(true);
    expect(vms['k3s-node1'].startup.order).toBeLessThan(vms['k3s-node2'].startup.order);
  });
});

describe('DNS chain', () => {
  it('clients → dnsmasq on the Pi (53) → AdGuard Home on 127.0.0.1#5353 → 1.1.1.1 and 8.8.8.8; DHCP hands out the Pi as DNS', () => {
    const settings = nix('hosts/pi-network/dnsmasq.nix').services.dnsmasq.settings;
    expect(settings.server[0]).toBe('127.0.0.1#5353');
    expect(settings['dhcp-option']).toContain('option:dns-server,192.168.178.10');
    const firewall = nix('hosts/pi-network/configuration.nix', ref.piNetwork.packages).networking.firewall;
    expect(firewall.allowedTCPPorts).toContain(53);
    expect(firewall.allowedUDPPorts).toEqual(expect.arrayContaining([53, 67]));
    const config = k8s.find((o) => o.kind === 'ConfigMap');
    const adguardYaml = Object.values<string>(config.data)[0];
    expect(adguardYaml).toContain('1.1.1.1');
    expect(adguardYaml).toContain('8.8.8.8');
  });
});

describe('maxdata', () => {
  it('Proxmox VE through proxmox-nixos, web UI on 8006, Cockpit on 9090', () => {
    const flake = read('nix/flake.nix');
    expect(flake).toContain('github:SaumonNet/proxmox-nixos');
    expect(nix('hosts/maxdata/proxmox.nix').services['proxmox-ve'].enable).toBe(true);
    expect(nix('hosts/maxdata/configuration.nix', ref.maxdata.packages).networking.firewall.allowedTCPPorts).toEqual(expect.arrayContaining([8006, 9090]));
    expect(nix('hosts/maxdata/proxmox.nix').services.cockpit).toMatchObject({ enable: true, port: 9090 });
  });

  it('32 GB RAM, ZFS ARC 16 GB max and 4 GB min, L2ARC write tuning', () => {
    expect(summarizeLab(ref.lab, validateLab(ref.lab)).hosts.find((h) => h.name === 'maxdata')!.memory!.text).toBe('32 GiB');
    const params = nix('hosts/maxdata/zfs.nix').boot.kernelParams as string[];
    expect(params).toEqual(expect.arrayContaining([`zfs.zfs_arc_max=${16 * 2 ** 30}`, `zfs.zfs_arc_min=${4 * 2 ** 30}`]));
    expect(params.some((p) => p.startsWith('zfs.l2arc_write_max='))).toBe(true);
  });

  it('a hostId of 8 hex digits', () => {
    expect(nix('hosts/maxdata/configuration.nix', ref.maxdata.packages).networking.hostId).toMatch(/^[0-9a-f]{8}$/);
  });

  it('SSH key-only with root login disabled; user max with a home-manager profile', () => {
    const config = nix('hosts/maxdata/configuration.nix', ref.maxdata.packages);
    expect(config.services.openssh.settings).toMatchObject({ PasswordAuthentication: false, PermitRootLogin: 'no' });
    expect(config.users.users.max.openssh.authorizedKeys.keys.length).toBeGreaterThan(0);
    expect(read('nix/hosts/maxdata/home-manager.nix')).toContain('users.max = import ../../home/max.nix;');
  });

  it('Nix garbage collection weekly, keeping 30 days', () => {
    expect(nix('hosts/maxdata/configuration.nix', ref.maxdata.packages).nix.gc).toEqual({ automatic: true, dates: 'weekly', options: '--delete-older-than 30d' });
  });

  it('helper scripts: a rebuild helper and a ZFS health check', () => {
    expect(read('nix/scripts/rebuild.sh')).toMatch(/switch\|test\|boot\|dry-activate/);
    expect(fs.existsSync(path.join(out, 'nix/scripts/zfs-health.sh'))).toBe(true);
    expect(read('nix/hosts/maxdata/zfs.nix')).toContain('zfsHealth');
  });
});

describe('pools on maxdata', () => {
  it('tank: raidz1 of 4 × 4 TB, special mirror 400 GB (32K small blocks), SLOG mirror 100 GB, L2ARC 2 × 500 GB; fast on the NVMe', () => {
    const disko = nix('hosts/maxdata/disko.nix').disko.devices;
    const tank = disko.zpool.tank;
    expect(tank.mode.topology.vdev).toEqual([{ mode: 'raidz1', members: expect.any(Array) }]);
    expect(tank.mode.topology.vdev[0].members).toHaveLength(4);
    expect(tank.mode.topology.special).toEqual([expect.objectContaining({ mode: 'mirror' })]);
    expect(tank.mode.topology.log).toEqual([expect.objectContaining({ mode: 'mirror' })]);
    expect(tank.mode.topology.cache).toHaveLength(2);
    expect(JSON.stringify(tank)).toContain('"special_small_blocks":"32K"');
    expect(Object.keys(disko.zpool)).toEqual(expect.arrayContaining(['tank', 'fast']));
    const script = read('nix/scripts/create-pools-maxdata.sh');
    expect(script).toMatch(/zpool create .*tank .*raidz1/);
  });

  it('disks by /dev/disk/by-id/, never /dev/sdX', () => {
    expect(read('nix/hosts/maxdata/disko.nix')).not.toMatch(/\/dev\/sd[a-z]/);
    expect(read('nix/hosts/maxdata/disko.nix')).toContain('/dev/disk/by-id/');
  });

  it('sanoid snapshots with a "production" template; syncoid fast → tank; scrub monthly; TRIM weekly', () => {
    const zfs = nix('hosts/maxdata/zfs.nix');
    expect(zfs.services.sanoid.templates.production).toMatchObject({ hourly: 36, daily: 30, monthly: 3 });
    expect(zfs.services.sanoid.datasets['tank/vms/my-app'].use_template).toEqual(['production']);
    expect(Object.values<any>(zfs.services.syncoid.commands)[0]).toMatchObject({ source: 'fast', target: 'tank/backup/fast' });
    expect(zfs.services.zfs.autoScrub.interval).toBe('monthly');
    expect(zfs.services.zfs.trim.interval).toBe('weekly');
  });

  it('Proxmox storages tank and fast backed by the pools, which exist (imported, not created)', () => {
    const storages = tf.resource.proxmox_storage_zfspool;
    expect(storages.maxdata_tank).toMatchObject({ id: 'tank', zfs_pool: 'tank', nodes: ['maxdata'] });
    expect(storages.maxdata_fast).toMatchObject({ id: 'fast', zfs_pool: 'fast', nodes: ['maxdata'] });
    expect(tf.import).toEqual(expect.arrayContaining([{ id: 'tank', to: 'proxmox_storage_zfspool.maxdata_tank' }, { id: 'fast', to: 'proxmox_storage_zfspool.maxdata_fast' }]));
  });
});

describe('pi-network and the k3s cluster', () => {
  it('an aarch64 Raspberry Pi with dnsmasq (DHCP 67, DNS 53, leases in /var/lib/misc/dnsmasq.leases)', () => {
    expect(read('nix/flake.nix')).toMatch(/pi-network = nixpkgs\.lib\.nixosSystem \{\s*system = "aarch64-linux";/);
    expect(nix('hosts/pi-network/dnsmasq.nix').services.dnsmasq.settings['dhcp-leasefile']).toBe('/var/lib/misc/dnsmasq.leases');
  });

  it('k3s-node1 server, k3s-node2/3 x86_64 agents, pi-network an ARM64 agent; one token on every node', () => {
    const k3s = (host: string) => nix(`hosts/${host}/k3s.nix`, ['k3s_1_35']).services.k3s;
    expect(k3s('k3s-node1')).toMatchObject({ role: 'server', clusterInit: true });
    for (const agent of ['k3s-node2', 'k3s-node3', 'pi-network']) {
      expect(k3s(agent)).toMatchObject({ role: 'agent', serverAddr: 'https://192.168.178.101:6443' });
    }
    const tokenFiles = new Set(['k3s-node1', 'k3s-node2', 'k3s-node3', 'pi-network'].map((h) => k3s(h).tokenFile));
    expect([...tokenFiles]).toEqual(['/run/secrets/k3s-token']);
  });

  it('AdGuard Home pinned to pi-network, hostPort 5353 for DNS over TCP and UDP, persistent config and work data', () => {
    const deployment = k8s.find((o) => o.kind === 'Deployment');
    const spec = deployment.spec.template.spec;
    expect(JSON.stringify(spec.affinity ?? spec.nodeSelector)).toContain('pi-network');
    const hostPorts = spec.containers.flatMap((c: any) => c.ports ?? []).filter((p: any) => p.hostPort === 5353).map((p: any) => p.protocol).sort();
    expect(hostPorts).toEqual(['TCP', 'UDP']);
    expect(k8s.filter((o) => o.kind === 'PersistentVolumeClaim')).toHaveLength(2);
  });
});

describe('VMs on maxdata', () => {
  it('windows11: vmid 100, 4 host cores, 8192 MB, scsi0 100 GB raw on tank, virtio on vmbr0, OVMF with a TPM on tank, started, on boot', () => {
    expect(vms.windows11).toMatchObject({
      vm_id: 100,
      cpu: { cores: 4, type: 'host' },
      memory: { dedicated: 8192 },
      disk: [expect.objectContaining({ interface: 'scsi0', size: 100, file_format: 'raw', datastore_id: 'tank' })],
      bios: 'ovmf',
      tpm_state: { datastore_id: 'tank', version: 'v2.0' },
      started: true,
      on_boot: true,
    });
    expect(vms.windows11.network_device[0]).toMatchObject({ model: 'virtio', bridge: 'vmbr0' });
  });

  it('the standard VM: 2 cores by default, 4096 MB, 32 GB raw on fast — web-1 (110, 4 cores), web-2 (111, 4), db (120, 8)', () => {
    for (const [name, vmid, cores] of [['web-1', 110, 4], ['web-2', 111, 4], ['db', 120, 8]] as const) {
      expect(vms[name]).toMatchObject({ vm_id: vmid, cpu: expect.objectContaining({ cores }), memory: { dedicated: 4096 } });
      expect(vms[name].disk[0]).toMatchObject({ size: 32, file_format: 'raw', datastore_id: 'fast' });
    }
  });

  it('my-app-vm: vmid 101, 50 GB on its own dataset tank/vms/my-app with sanoid snapshots', () => {
    expect(vms['my-app-vm']).toMatchObject({ vm_id: 101 });
    expect(vms['my-app-vm'].disk[0]).toMatchObject({ size: 50, datastore_id: 'my-app' });
    expect(tf.resource.proxmox_storage_zfspool.maxdata_my_app).toMatchObject({ id: 'my-app', zfs_pool: 'tank/vms/my-app' });
  });

  it('the k3s nodes are VMs too; provider at https://192.168.178.97:8006, self-signed (insecure), token not in the output', () => {
    expect(['k3s-node1', 'k3s-node2', 'k3s-node3'].every((n) => vms[n] !== undefined)).toBe(true);
    expect(tf.provider.proxmox[0]).toMatchObject({ endpoint: 'https://192.168.178.97:8006', insecure: true });
    expect(JSON.stringify(tf.provider)).not.toMatch(/api_token/);
  });

  it('existing VMs are imported by node and vmid: the five of the seed, not the new k3s VMs', () => {
    const imports = (tf.import as Array<{ id: string; to: string }>).filter((i) => i.to.startsWith('proxmox_virtual_environment_vm.'));
    expect(imports.map((i) => i.id).sort()).toEqual(['maxdata/100', 'maxdata/101', 'maxdata/110', 'maxdata/111', 'maxdata/120']);
  });
});
