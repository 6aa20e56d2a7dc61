import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Addressing, deriveMac, Dnsmasq, HardwareProfile, Host, Protocol, ProxmoxHost, ProxmoxVm, renderNixFlake, renderTerraformStacks, Size, StorageBacking, StorageContent, StorageType, validateLab } from '../../lib/internal';
import { ReferenceLab } from '../../apps/reference-lab';
import { materialize, smallLab, tempDir, vmHost } from '../support/labs';
import { evalModule, evalNixJson, parseNixFiles } from '../support/nix';
import { synthesizeReferenceLab } from '../support/reference';
import { proxmoxLab } from '../support/compute';

/** A Proxmox host module evaluated with stand-ins for its arguments (inputs, config). */
function evalProxmoxModule(file: string): Record<string, any> {
  return evalNixJson(`
    let m = import ${path.resolve(file)} {
      config.services.proxmox-ve.package = "pkg:proxmox-ve";
      lib = { }; pkgs = { };
      inputs.proxmox-nixos.overlays.x86_64-linux = "proxmox-nixos-overlay";
    };
    in m
  `) as Record<string, any>;
}

describe('the reference lab\'s Proxmox host on NixOS', () => {
  let ref: ReferenceLab;
  let nixDir: string;
  let proxmoxModule: Record<string, any>;

  beforeAll(() => {
    ({ ref, nixDir } = synthesizeReferenceLab());
    proxmoxModule = evalProxmoxModule(path.join(nixDir, 'hosts/maxdata/proxmox.nix'));
  });

  it('enables Proxmox VE with the host\'s address, leaving the firewall to the host\'s port reservations', () => {
    expect(proxmoxModule.services['proxmox-ve']).toEqual({ enable: true, ipAddress: '192.168.178.97', openFirewall: false, bridges: ['vmbr0'] });
    expect(proxmoxModule.nixpkgs.overlays).toEqual(['proxmox-nixos-overlay']);
    const config = evalModule(path.join(nixDir, 'hosts/maxdata/configuration.nix'), ref.maxdata.packages);
    expect(config.imports).toContain('proxmox.nix');
    const tcp = ref.maxdata.ports.filter((p) => p.protocol === Protocol.TCP);
    expect(tcp.map((p) => [p.port, p.description])).toEqual(expect.arrayContaining([[8006, 'Proxmox VE web UI and API'], [9090, 'Cockpit']]));
    expect(config.networking.firewall.allowedTCPPorts).toEqual(expect.arrayContaining([8006, 9090]));
  });

  it('declares vmbr0 once: over enp3s0 with the host\'s address and MAC, in NixOS, in Proxmox and for the VMs in Terraform', () => {
    const config = evalModule(path.join(nixDir, 'hosts/maxdata/configuration.nix'), ref.maxdata.packages);
    expect(proxmoxModule.networking.bridges).toEqual({ vmbr0: { interfaces: ['enp3s0'] } });
    expect(proxmoxModule.networking.interfaces.vmbr0.macAddress).toBe(ref.maxdata.macAddress);
    expect(config.networking.interfaces).toEqual({ vmbr0: { ipv4: { addresses: [{ address: '192.168.178.97', prefixLength: 24 }] } } });
    const bridge = ref.compute.proxmox.lanBridge;
    expect(proxmoxModule.services['proxmox-ve'].bridges).toEqual([bridge.bridgeName]);
    const stack = JSON.parse(renderTerraformStacks(ref.lab)[0].content);
    const vmBridges = new Set(Object.values<any>(stack.resource.proxmox_virtual_environment_vm).flatMap((vm) => vm.network_device.map((n: any) => n.bridge)));
    expect([...vmBridges]).toEqual([bridge.bridgeName]);
  });

  it('enables Cockpit on its port, reachable by the host\'s name and address', () => {
    expect(proxmoxModule.services.cockpit).toEqual({
      enable: true,
      port: 9090,
      openFirewall: false,
      'allowed-origins': ['https://maxdata.local:9090', 'https://192.168.178.97:9090'],
    });
  });

  it('adds the proxmox-nixos flake input without following the lab\'s nixpkgs, and its module to maxdata only', () => {
    const inputs = evalNixJson(`(import ${nixDir}/flake.nix).inputs`) as Record<string, any>;
    // Pinned to a revision (SaumonNet/proxmox-nixos c1f79f1, whose flake builds from nixos-25.11).
    expect(inputs['proxmox-nixos']).toEqual({ url: 'github:SaumonNet/proxmox-nixos/c1f79f104930347a0b84abbca0d42884063a8c09' });
    const flake = fs.readFileSync(path.join(nixDir, 'flake.nix'), 'utf8');
    expect(flake.match(/inputs\.proxmox-nixos\.nixosModules\.proxmox-ve/g)).toHaveLength(1);
    const maxdataBlock = flake.slice(flake.indexOf('maxdata = '), flake.indexOf('pi-network = '));
    expect(maxdataBlock).toContain('inputs.proxmox-nixos.nixosModules.proxmox-ve');
  });

  // proxmox-nixos's README, "Cache": address https://cache.saumon.network/proxmox-nixos, public key
  // proxmox-nixos:D9RYSWpQQC/msZUWphOY2I5RLH5Dd6yQcaHIuug7dWM=.
  it('uses proxmox-nixos\'s binary cache: in the flake\'s nixConfig for builds on the installing machine, in nix.settings for rebuilds on the host', () => {
    const url = 'https://cache.saumon.network/proxmox-nixos';
    const key = 'proxmox-nixos:D9RYSWpQQC/msZUWphOY2I5RLH5Dd6yQcaHIuug7dWM=';
    expect(evalNixJson(`(import ${nixDir}/flake.nix).nixConfig`)).toEqual({ 'extra-substituters': [url], 'extra-trusted-public-keys': [key] });
    expect(proxmoxModule.nix.settings).toEqual({ substituters: [url], 'trusted-public-keys': [key] });
  });

  it('has no nixConfig without a Proxmox host, whose packages are the only ones from another cache', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.10');
    const dir = materialize(renderNixFlake(lab));
    expect(evalNixJson(`(import ${dir}/flake.nix) ? nixConfig`)).toBe(false);
  });

  it('declares the directory storages with pvesm ("local" and the vzdump archives), and leaves the ZFS ones to Terraform', () => {
    const script = fs.readFileSync(path.join(nixDir, 'hosts/maxdata/proxmox-storages.sh'), 'utf8');
    expect(script).toContain('ensure_storage local dir --path /var/lib/vz --content iso,import,snippets,backup,vztmpl -- --content iso,import,snippets,backup,vztmpl');
    // tank/vzdump is a dataset's mountpoint: offline while unmounted, never the root file system
    // (PVE::Storage::DirPlugin's is_mountpoint); Proxmox's own /var/lib/vz is no mount point.
    expect(script).toContain('ensure_storage backups dir --path /tank/vzdump --content backup --is_mountpoint yes -- --content backup --is_mountpoint yes');
    expect(script).not.toMatch(/zfspool|lvmthin/);
    expect(proxmoxModule.systemd.services['proxmox-storages']).toMatchObject({
      requires: ['pve-cluster.service'],
      before: ['pve-guests.service'],
      path: ['pkg:proxmox-ve'],
      serviceConfig: { Type: 'oneshot', RemainAfterExit: true },
      script,
    });
  });
});

describe('the storages script', () => {
  let dir: string;
  let script: string;

  beforeAll(() => {
    const t = proxmoxLab();
    t.proxmox.addStorage('local-lvm', { backing: StorageBacking.lvmThin({ volumeGroup: 'pve', thinPool: 'data' }) });
    t.proxmox.addStorage('vzdump', { backing: StorageBacking.directory('/srv/vzdump'), content: [StorageContent.BACKUP] });
    t.proxmox.addStorage('nfs', { backing: StorageBacking.existing(StorageType.DIRECTORY), content: [StorageContent.BACKUP] });
    dir = materialize(renderNixFlake(t.lab));
    script = path.join(dir, 'hosts/pve/proxmox-storages.sh');
  });

  it('passes bash -n and shellcheck', () => {
    execFileSync('bash', ['-n', script]);
    const r = spawnSync('shellcheck', ['-s', 'bash', script], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  /** Runs the script with stand-ins for pvesh (which knows the storages in `existing`) and pvesm. */
  function run(existing: string[]): string[] {
    const bin = tempDir('fake-pve-');
    const log = path.join(bin, 'log');
    fs.writeFileSync(path.join(bin, 'pvesh'), `#!/bin/sh\ncase "$2" in ${existing.map((s) => `/storage/${s}`).join('|') || '/none'}) exit 0 ;; *) exit 2 ;; esac\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'pvesm'), `#!/bin/sh\necho "pvesm $*" >> ${log}\n`, { mode: 0o755 });
    const r = spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.status, r.stderr).toBe(0);
    return fs.readFileSync(log, 'utf8').trim().split('\n');
  }

  it('adds the missing directory storages with their path, and sets the content of existing ones; the ZFS and LVM thin ones are not its', () => {
    expect(run(['local'])).toEqual([
      'pvesm set local --content images,rootdir,iso,import,snippets,backup,vztmpl',
      'pvesm add dir vzdump --path /srv/vzdump --content backup',
    ]);
    expect(run(['local', 'vzdump', 'tank', 'local-lvm'])).toEqual([
      'pvesm set local --content images,rootdir,iso,import,snippets,backup,vztmpl',
      'pvesm set vzdump --content backup',
    ]);
  });

  it('orders the service after the ZFS pools when a storage is on ZFS', () => {
    const module = evalProxmoxModule(path.join(dir, 'hosts/pve/proxmox.nix'));
    expect(module.systemd.services['proxmox-storages'].after).toEqual(['pve-cluster.service', 'zfs.target']);
  });
});

describe('labs with and without Proxmox', () => {
  it('gives a lab without a Proxmox host no proxmox-nixos input', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.10');
    const flake = renderNixFlake(lab).find((f) => f.path === 'flake.nix')!;
    expect(flake.content).not.toContain('proxmox');
  });

  it('writes no storages service when every storage exists already', () => {
    const { lab } = smallLab();
    const pve = new Host(lab, 'pve', {
      hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', interfaceName: 'eno1' }),
      ipAddress: '10.0.0.2',
      addressing: Addressing.STATIC,
    });
    new ProxmoxHost(pve, 'proxmox').addStorage('local-lvm', { backing: StorageBacking.existing(StorageType.LVM_THIN) });
    const files = renderNixFlake(lab);
    expect(files.map((f) => f.path)).not.toContain('hosts/pve/proxmox-storages.sh');
    const dir = materialize(files);
    expect(parseNixFiles([path.join(dir, 'hosts/pve/proxmox.nix')])).toEqual([]);
    const module = evalProxmoxModule(path.join(dir, 'hosts/pve/proxmox.nix'));
    expect(module.systemd).toBeUndefined();
    // Without a known MAC, the bridge keeps the one Linux gives it.
    expect(module.networking).toEqual({ bridges: { vmbr0: { interfaces: ['eno1'] } } });
  });
});

describe('the hypervisor\'s macPrefix', () => {
  /** A lab whose hypervisor has `macPrefix` 02:10, a dnsmasq on a Pi, a NixOS VM and a plain VM with an address. */
  function prefixedLab(): { lab: ReturnType<typeof proxmoxLab>['lab']; guest: Host } {
    const t = proxmoxLab({ proxmox: { macPrefix: '02:10' } });
    const gw = new Host(t.lab, 'gw', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '10.0.0.3', macAddress: 'dc:a6:32:00:00:03', addressing: Addressing.STATIC });
    new Dnsmasq(gw, 'dnsmasq');
    const guest = vmHost(t.lab, 'node1', '10.0.0.21');
    new ProxmoxVm(t.lab, 'node1-vm', { hypervisor: t.proxmox, vmid: 201, guest, disks: [{ storage: t.tank, size: Size.gibibytes(16) }] });
    new ProxmoxVm(t.lab, 'web', { hypervisor: t.proxmox, vmid: 110, ipAddress: '10.0.0.50', disks: [{ storage: t.tank, size: Size.gibibytes(16) }] });
    return { lab: t.lab, guest };
  }

  it('starts the MAC of a NixOS VM with it, in Terraform and in the flake\'s dnsmasq leases alike', () => {
    const { lab, guest } = prefixedLab();
    expect(validateLab(lab).errors).toEqual([]);
    const mac = guest.macAddress!;
    expect(mac).toMatch(/^02:10:([0-9a-f]{2}:){3}[0-9a-f]{2}$/);
    // The rest of the address is the guest's own derivation, only the first two octets move.
    expect(mac.slice(6)).toBe(deriveMac('testlab/node1').slice(6));

    const stack = JSON.parse(renderTerraformStacks(lab)[0].content);
    const vms = stack.resource.proxmox_virtual_environment_vm;
    expect(vms.node1.network_device.map((n: { mac_address: string }) => n.mac_address)).toEqual([mac]);
    expect(vms.web.network_device[0].mac_address).toMatch(/^02:10:/);
    expect(stack.output.mac_addresses.value).toEqual({ node1: mac, web: vms.web.network_device[0].mac_address });

    const dir = materialize(renderNixFlake(lab));
    const leases = evalModule(path.join(dir, 'hosts/gw/dnsmasq.nix')).services.dnsmasq.settings['dhcp-host'] as string[];
    expect(leases).toContain(`${mac},10.0.0.21,node1`);
    expect(leases).toContain(`${vms.web.network_device[0].mac_address},10.0.0.50,web`);
    expect(leases.filter((l) => l.startsWith('02:10:'))).toHaveLength(2);
  });

  it('leaves a MAC given on the guest Host as it is', () => {
    const t = proxmoxLab({ proxmox: { macPrefix: '02:10' } });
    const guest = vmHost(t.lab, 'node1', '10.0.0.21', { macAddress: '52:54:00:12:34:56' });
    const vm = new ProxmoxVm(t.lab, 'node1-vm', { hypervisor: t.proxmox, vmid: 201, guest });
    expect(vm.macAddress).toBe('52:54:00:12:34:56');
    expect(guest.macAddress).toBe('52:54:00:12:34:56');
  });
});

describe('the proxmox-nixos pin', () => {
  /** A lab with one Proxmox host, its NixOS settings as given. */
  function pinnedLab(nixos: Record<string, unknown>) {
    const { lab } = smallLab({ nixos });
    const pve = new Host(lab, 'pve', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', interfaceName: 'eno1' }), ipAddress: '10.0.0.2', macAddress: 'a8:a1:59:00:00:02', addressing: Addressing.STATIC });
    new ProxmoxHost(pve, 'proxmox');
    return lab;
  }
  const pinWarnings = (lab: ReturnType<typeof pinnedLab>) => validateLab(lab).warnings.filter((w) => w.message.includes('proxmox-nixos-release'));

  it("warns, naming both releases and the prop, when the pinned revision's NixOS release is not the lab's", () => {
    const warnings = pinWarnings(pinnedLab({ release: '26.05' }));
    expect(warnings.map((w) => [w.path, w.message])).toEqual([
      [
        'testlab/pve/proxmox',
        'proxmox-nixos c1f79f1 builds Proxmox VE from NixOS 25.11, and the lab runs 26.05: pve then runs packages of two releases. Fix: pin a proxmox-nixos revision built from NixOS 26.05 with nixos.proxmoxNixos (its flake.nix\'s nixpkgs-stable input names the release), or set nixos.release to "25.11". [homelab-cdk:proxmox-nixos-release]',
      ],
    ]);
  });

  it('is quiet when the releases match, and puts the pinned revision into the flake input', () => {
    const revision = '823ce9169cd6d880d384a3eb5f9bec490d7005f2';
    const lab = pinnedLab({ release: '26.05', proxmoxNixos: { revision, nixosRelease: '26.05' } });
    expect(pinWarnings(lab)).toEqual([]);
    expect(pinWarnings(pinnedLab({ release: '25.11' }))).toEqual([]);
    const flake = renderNixFlake(lab).find((f) => f.path === 'flake.nix')!.content;
    expect(flake).toContain(`proxmox-nixos.url = "github:SaumonNet/proxmox-nixos/${revision}";`);
  });

  it('refuses a revision that is not a full commit', () => {
    const errors = validateLab(pinnedLab({ proxmoxNixos: { revision: 'main', nixosRelease: '25.11' } })).errors.map((e) => e.message);
    expect(errors).toContainEqual(expect.stringMatching(/^nixos\.proxmoxNixos\.revision is not a git commit\. Fix: give the full commit of SaumonNet\/proxmox-nixos/));
  });
});
