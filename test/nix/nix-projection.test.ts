import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Addressing, HardwareProfile, Host, LoginShell, Protocol, renderNixFlake, Secret, User } from '../../lib/internal';
import { materialize, smallLab, tempDir, TEST_KEY, vmHost } from '../support/labs';
import { evalModule, evalNixJson, nixFilesUnder, parseNixFiles } from '../support/nix';
import { synthesizeReferenceLab } from '../support/reference';
import { buildReferenceLab, ReferenceLab } from '../../apps/reference-lab';

let ref: ReferenceLab;
let nixDir: string;

beforeAll(() => {
  ({ ref, nixDir } = synthesizeReferenceLab());
});

/** The flake's nixosConfigurations, evaluated with a stand-in nixpkgs that returns its arguments. */
function flakeConfigurations(dir: string): Record<string, { system: string; modules: string[] }> {
  return evalNixJson(`
    let
      flake = import ${dir}/flake.nix;
      inputs = {
        self = { };
        nixpkgs.lib.nixosSystem = args: args;
        home-manager.nixosModules.home-manager = "home-manager-module";
        nixos-hardware.nixosModules.raspberry-pi-4 = "nixos-hardware-raspberry-pi-4-module";
        sops-nix.nixosModules.sops = "sops-module";
        disko.nixosModules.disko = "disko-module";
        proxmox-nixos.nixosModules.proxmox-ve = "proxmox-ve-module";
      };
      outputs = flake.outputs inputs;
    in builtins.mapAttrs (name: c: {
      inherit (c) system;
      modules = map (m: if builtins.isPath m then builtins.replaceStrings [ "${dir}/" ] [ "" ] (toString m) else m) c.modules;
    }) outputs.nixosConfigurations
  `) as Record<string, { system: string; modules: string[] }>;
}

describe('the reference lab as a NixOS flake', () => {
  it('parses: every .nix file, with the real Nix parser', () => {
    const files = nixFilesUnder(nixDir);
    expect(files.length).toBeGreaterThanOrEqual(15);
    expect(parseNixFiles(files)).toEqual([]);
  });

  it('has a nixosConfiguration for each of the five hosts, with its system', () => {
    const configurations = flakeConfigurations(nixDir);
    expect(Object.fromEntries(Object.entries(configurations).map(([n, c]) => [n, c.system]))).toEqual({
      'k3s-node1': 'x86_64-linux',
      'k3s-node2': 'x86_64-linux',
      'k3s-node3': 'x86_64-linux',
      maxdata: 'x86_64-linux',
      'pi-network': 'aarch64-linux',
    });
    for (const [name, c] of Object.entries(configurations)) {
      expect(c.modules).toContain(`hosts/${name}/configuration.nix`);
      expect(fs.existsSync(path.join(nixDir, 'hosts', name, 'configuration.nix'))).toBe(true);
    }
  });

  it('pins nixpkgs on the lab\'s NixOS release and makes home-manager follow it', () => {
    const inputs = evalNixJson(`(import ${nixDir}/flake.nix).inputs`) as Record<string, any>;
    expect(inputs.nixpkgs.url).toBe(`github:NixOS/nixpkgs/nixos-${ref.lab.nixosRelease}`);
    expect(inputs['home-manager']).toEqual({
      url: `github:nix-community/home-manager/release-${ref.lab.nixosRelease}`,
      inputs: { nixpkgs: { follows: 'nixpkgs' } },
    });
  });

  it('gives each host the identity, address and users of the model', () => {
    for (const host of Host.all(ref.lab)) {
      const config = evalModule(path.join(nixDir, 'hosts', host.hostName, 'configuration.nix'), host.packages);
      expect(config.networking.hostName).toBe(host.hostName);
      expect(config.networking.hostId).toBe(host.hostId);
      expect(config.networking.domain).toBe('local');
      expect(config.time.timeZone).toBe('Europe/Berlin');
      expect(config.users.users.max.openssh.authorizedKeys.keys).toEqual([...ref.max.sshKeys]);
      expect(config.users.users.max.extraGroups).toContain('wheel');
      expect(config.services.openssh.settings).toEqual({ PasswordAuthentication: false, KbdInteractiveAuthentication: false, PermitRootLogin: 'no' });
      expect(config.networking.firewall.allowedTCPPorts).toEqual(host.ports.filter((p) => p.protocol === Protocol.TCP && p.openFirewall !== false && !p.allowedFrom).map((p) => p.port));
      expect(config.nix.gc).toEqual({ automatic: true, dates: 'weekly', options: '--delete-older-than 30d' });
      expect(config.environment.systemPackages).toEqual(host.packages.map((p) => `pkg:${p}`));
      expect(config.imports).toEqual(expect.arrayContaining(['hardware.nix', 'home-manager.nix', path.join(nixDir, 'modules/rebuild.nix')]));
      if (host.addressing === Addressing.STATIC) {
        expect(config.networking.interfaces[host.addressInterfaceName!].ipv4.addresses).toEqual([{ address: host.ipAddress, prefixLength: 24 }]);
        expect(config.networking.defaultGateway).toBe('192.168.178.1');
      } else {
        // dhcpcd on the lab interface only, never on cni0, flannel.1 or the pods' veths
        // (k3s-io/k3s#2599; allowinterfaces in nixos/modules/services/networking/dhcpcd.nix).
        expect(config.networking.useDHCP).toBe(false);
        expect(config.networking.interfaces).toEqual({ [host.interfaceName!]: { useDHCP: true } });
      }
    }
  });

  it('writes the home-manager profile of max and imports it on every host', () => {
    const profile = evalModule(path.join(nixDir, 'home/max.nix'), ref.max.home!.packages);
    expect(profile.home).toMatchObject({ username: 'max', homeDirectory: '/home/max', stateVersion: '26.05' });
    expect(profile.home.packages).toEqual(ref.max.home!.packages!.map((p) => `pkg:${p}`));
    expect(profile.programs.bash.shellAliases).toEqual(ref.max.home!.shellAliases);
    const text = fs.readFileSync(path.join(nixDir, 'hosts/maxdata/home-manager.nix'), 'utf8');
    expect(text).toContain('users.max = import ../../home/max.nix;');
  });

  it('writes hardware modules from the profiles: VM guest, Raspberry Pi and bare metal', () => {
    const vm = evalModule(path.join(nixDir, 'hosts/k3s-node1/hardware.nix'));
    expect(vm.services.qemuGuest.enable).toBe(true);
    expect(vm.boot.initrd.availableKernelModules).toContain('virtio_scsi');
    const pi = evalModule(path.join(nixDir, 'hosts/pi-network/hardware.nix'), ['linuxPackages']);
    expect(pi.boot.loader['generic-extlinux-compatible'].enable).toBe(true);
    const metal = evalModule(path.join(nixDir, 'hosts/maxdata/hardware.nix'));
    expect(metal.hardware.cpu.intel.updateMicrocode).toBe(true);
    expect(metal.boot.loader['systemd-boot'].enable).toBe(true);
  });

  it('starts every generated file with a comment saying it is generated, and from what', () => {
    for (const file of nixFilesUnder(nixDir)) {
      expect(fs.readFileSync(file, 'utf8').split('\n')[0], file).toMatch(/^# Generated by homelab-cdk from .*Do not edit/);
    }
    expect(fs.readFileSync(path.join(nixDir, 'hosts/maxdata/configuration.nix'), 'utf8')).toMatch(/^# Generated by homelab-cdk from homelab\/maxdata/);
  });
});

describe('scripts/rebuild.sh', () => {
  let script: string;
  beforeAll(() => {
    script = path.join(nixDir, 'scripts/rebuild.sh');
  });

  it('passes bash -n and shellcheck', () => {
    execFileSync('bash', ['-n', script]);
    const r = spawnSync('shellcheck', ['-s', 'bash', script], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  /** Runs the script with stand-ins for nixos-rebuild, nix, sudo and hostname that log their arguments. */
  function runRebuild(args: string[], hostname = 'maxdata') {
    const bin = tempDir('fake-bin-');
    const log = path.join(bin, 'log');
    for (const tool of ['nixos-rebuild', 'nix', 'sudo']) {
      fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> ${log}\n${tool === 'sudo' ? 'exec "$@"' : ''}\n`, { mode: 0o755 });
    }
    fs.writeFileSync(path.join(bin, 'hostname'), `#!/bin/sh\necho ${hostname}\n`, { mode: 0o755 });
    const r = spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, HOMELAB_FLAKE: '' } });
    return { status: r.status, stderr: r.stderr, log: fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '' };
  }

  it('switches the host it runs on, from the flake it lives in', () => {
    const r = runRebuild(['switch']);
    expect(r.status).toBe(0);
    expect(r.log).toContain(`nixos-rebuild switch --flake ${nixDir}#maxdata`);
  });

  it('builds, updates and rolls back', () => {
    expect(runRebuild(['build', '--host', 'pi-network']).log).toContain(`nixos-rebuild build --flake ${nixDir}#pi-network`);
    expect(runRebuild(['rollback']).log).toContain('nixos-rebuild switch --rollback');
    expect(runRebuild(['update']).log).toContain('nix flake update');
  });

  it('refuses a host that is not in the lab, and an unknown command', () => {
    const r = runRebuild(['switch'], 'laptop');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/laptop is not a host of this lab \(k3s-node1 k3s-node2 k3s-node3 maxdata pi-network\)/);
    expect(runRebuild(['explode']).status).toBe(2);
  });
});

describe('the Nix projection on small labs', () => {
  it('writes the escape hatches: settings through the serializer, raw modules as given', () => {
    const { lab } = smallLab();
    const host = vmHost(lab, 'web', '10.0.0.10');
    host.addNixSettings({ services: { fwupd: { enable: true } }, boot: { kernelParams: ['quiet'] } });
    host.addNixSettings({ programs: { mtr: { enable: true } } });
    host.addRawNixModule('tweaks', '{ pkgs, ... }: { programs.htop.enable = true; }');
    const rendered = renderNixFlake(lab);
    const files = Object.fromEntries(rendered.map((f) => [f.path, f.content]));
    const dir = materialize(rendered);
    expect(parseNixFiles(nixFilesUnder(dir))).toEqual([]);
    const extra = evalModule(path.join(dir, 'hosts/web/extra.nix'));
    expect(extra.imports).toEqual([{ services: { fwupd: { enable: true } }, boot: { kernelParams: ['quiet'] } }, { programs: { mtr: { enable: true } } }]);
    expect(files['hosts/web/tweaks.nix']).toBe('{ pkgs, ... }: { programs.htop.enable = true; }\n');
    const config = evalModule(path.join(dir, 'hosts/web/configuration.nix'));
    expect(config.imports).toEqual(expect.arrayContaining(['extra.nix', 'tweaks.nix']));
  });

  it('keeps hostile strings from the model inert in the output', () => {
    const { lab } = smallLab();
    new User(lab, 'eve', { description: '"; services.evil.enable = true; x = "${builtins.abort "pwned"}', sshKeys: [TEST_KEY] });
    vmHost(lab, 'web', '10.0.0.10');
    const dir = materialize(renderNixFlake(lab));
    const config = evalModule(path.join(dir, 'hosts/web/configuration.nix'));
    expect(config.users.users.eve.description).toBe('"; services.evil.enable = true; x = "${builtins.abort "pwned"}');
    expect(config.services.evil).toBeUndefined();
  });

  it('copies a host\'s own hardware-configuration.nix into the flake', () => {
    const { lab } = smallLab();
    const file = path.join(tempDir(), 'hardware-configuration.nix');
    fs.writeFileSync(file, '{ ... }: { boot.loader.systemd-boot.enable = true; }\n');
    new Host(lab, 'metal', { hardware: HardwareProfile.fromFile(file), ipAddress: '10.0.0.10', macAddress: 'dc:a6:32:00:00:09' });
    const files = renderNixFlake(lab);
    expect(files.find((f) => f.path === 'hosts/metal/hardware-configuration.nix')?.content).toBe('{ ... }: { boot.loader.systemd-boot.enable = true; }\n');
  });

  it('writes passwordless sudo only for sudo users without a password, and enables their shells', () => {
    const { lab } = smallLab();
    new User(lab, 'ops', { sudo: true, sshKeys: [TEST_KEY], shell: LoginShell.ZSH, hashedPasswordFile: Secret.fromFile('/var/lib/secrets/ops.hash') });
    vmHost(lab, 'web', '10.0.0.10', { ssh: { port: 2222 }, garbageCollection: false });
    const dir = materialize(renderNixFlake(lab));
    const config = evalModule(path.join(dir, 'hosts/web/configuration.nix'), ['zsh']);
    expect(config.security.sudo.extraRules).toEqual([{ users: ['admin'], commands: [{ command: 'ALL', options: ['NOPASSWD'] }] }]);
    expect(config.users.users.ops).toMatchObject({ shell: 'pkg:zsh', hashedPasswordFile: '/var/lib/secrets/ops.hash' });
    expect(config.programs.zsh.enable).toBe(true);
    expect(config.services.openssh.ports).toEqual([2222]);
    expect(config.networking.firewall.allowedTCPPorts).toEqual([2222]);
    expect(config.nix.gc).toEqual({ automatic: false });
  });

  it('refuses an input URL override for an input the flake does not have', () => {
    const { lab } = smallLab({ nixos: { inputUrls: { nixpkgs: 'github:me/nixpkgs/mine', 'not-an-input': 'github:x/y' } } });
    vmHost(lab, 'web', '10.0.0.10');
    expect(() => renderNixFlake(lab)).toThrow(/nixos\.inputUrls names not-an-input, which the flake does not use/);
  });

  it('uses an overridden input URL', () => {
    const { lab } = smallLab({ nixos: { inputUrls: { nixpkgs: 'github:me/nixpkgs/mine' } } });
    vmHost(lab, 'web', '10.0.0.10');
    const flake = renderNixFlake(lab).find((f) => f.path === 'flake.nix')!.content;
    expect(flake).toContain('nixpkgs.url = "github:me/nixpkgs/mine";');
  });

  it('renders the same model to the same bytes', () => {
    const a = renderNixFlake(buildReferenceLab().lab);
    const b = renderNixFlake(buildReferenceLab().lab);
    expect(a).toEqual(b);
  });
});

describe('DHCP clients', () => {
  it('deny the interfaces of containers when the lab interface of a DHCP host is not known', () => {
    const { lab } = smallLab();
    new Host(lab, 'box', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd' }), ipAddress: '10.0.0.30', macAddress: 'a8:a1:59:00:00:30' });
    const dir = materialize(renderNixFlake(lab));
    const config = evalModule(path.join(dir, 'hosts/box/configuration.nix'));
    expect(config.networking.useDHCP).toBe(true);
    expect(config.networking.dhcpcd.denyInterfaces).toEqual(expect.arrayContaining(['cni*', 'flannel*', 'veth*']));
  });
});
