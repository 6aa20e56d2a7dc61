import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { Addressing, HardwareProfile, Host, RaspberryPi4Props, RaspberryPiKernel, renderNixFlake, validateLab } from '../../lib/internal';
import { materialize, smallLab, vmHost } from '../support/labs';
import { evalModule, evalNixJson, nixFilesUnder, parseNixFiles } from '../support/nix';

/** The packages a Pi's hardware module names (stand-ins for evalModule). */
const PI_PACKAGES = ['linuxPackages'];

/** A lab with one Raspberry Pi 4, rendered into a folder. */
function piFlake(props: RaspberryPi4Props = {}): string {
  const { lab } = smallLab();
  new Host(lab, 'pi', { hardware: HardwareProfile.raspberryPi4(props), ipAddress: '10.0.0.2', macAddress: 'dc:a6:32:00:00:02', addressing: Addressing.STATIC });
  vmHost(lab, 'web', '10.0.0.10');
  const dir = materialize(renderNixFlake(lab));
  expect(parseNixFiles(nixFilesUnder(dir))).toEqual([]);
  return dir;
}

/** Each host's flake modules that come from inputs, with a stand-in for every input's modules. */
function flakeModules(dir: string): Record<string, string[]> {
  return evalNixJson(`
    let
      flake = import ${dir}/flake.nix;
      modulesOf = input: { nixosModules = builtins.listToAttrs (map (m: { name = m; value = input + "." + m; }) [ "raspberry-pi-4" "home-manager" ]); };
      outputs = flake.outputs {
        self = { };
        nixpkgs.lib.nixosSystem = args: args;
        nixos-hardware = modulesOf "nixos-hardware";
        home-manager = modulesOf "home-manager";
      };
    in builtins.mapAttrs (name: c: builtins.filter builtins.isString c.modules) outputs.nixosConfigurations
  `) as Record<string, string[]>;
}

describe('the Raspberry Pi 4 profile', () => {
  it('imports nixos-hardware\'s Raspberry Pi 4 module, from an input with nothing to follow, on the Pi only', () => {
    const dir = piFlake();
    expect(evalNixJson(`(import ${dir}/flake.nix).inputs.nixos-hardware`)).toEqual({ url: 'github:NixOS/nixos-hardware' });
    expect(flakeModules(dir)).toEqual({ pi: ['nixos-hardware.raspberry-pi-4'], web: [] });
  });

  it('enables the memory cgroup that k3s needs on the Pi\'s kernel command line', () => {
    const hw = evalModule(path.join(piFlake(), 'hosts/pi/hardware.nix'), PI_PACKAGES);
    expect(hw.boot.kernelParams).toEqual(expect.arrayContaining(['cgroup_enable=memory', 'cgroup_memory=1']));
    // NixOS's kernelParam type: no unquoted spaces.
    expect(hw.boot.kernelParams.every((p: string) => /^\S+$/.test(p))).toBe(true);
  });

  it('spares the SD card: root mounted noatime, the journal in RAM', () => {
    const hw = evalModule(path.join(piFlake(), 'hosts/pi/hardware.nix'), PI_PACKAGES);
    expect(hw.fileSystems['/']).toEqual({ device: '/dev/disk/by-label/NIXOS_SD', fsType: 'ext4', options: ['noatime'] });
    expect(hw.services.journald.storage).toBe('volatile');
    expect(hw.boot.loader['generic-extlinux-compatible'].enable).toBe(true);
  });

  it('turns the PoE+ HAT overlay on when the Pi has one', () => {
    expect(evalModule(path.join(piFlake({ poePlusHat: true }), 'hosts/pi/hardware.nix'), PI_PACKAGES).hardware['raspberry-pi']['4']['poe-plus-hat'].enable).toBe(true);
    expect(evalModule(path.join(piFlake(), 'hosts/pi/hardware.nix'), PI_PACKAGES).hardware['raspberry-pi']).toBeUndefined();
  });

  it('stays usable without k3s, without nixos-hardware and with a persistent journal', () => {
    const dir = piFlake({ nixosHardware: false, memoryCgroup: false, volatileJournal: false });
    const hw = evalModule(path.join(dir, 'hosts/pi/hardware.nix'), PI_PACKAGES);
    expect(hw.boot.kernelParams).toBeUndefined();
    expect(hw.services).toBeUndefined();
    expect(hw.boot.loader['generic-extlinux-compatible'].enable).toBe(true);
    expect(evalNixJson(`(import ${dir}/flake.nix).inputs ? nixos-hardware`)).toBe(false);
    expect(flakeModules(dir).pi).toEqual([]);
  });

  it('refuses a PoE+ HAT without nixos-hardware, whose overlay it is', () => {
    const { lab } = smallLab();
    new Host(lab, 'pi', { hardware: HardwareProfile.raspberryPi4({ poePlusHat: true, nixosHardware: false }), ipAddress: '10.0.0.2' });
    expect(validateLab(lab).errors.map((f) => `${f.path}: ${f.message}`)).toContain(
      "testlab/pi: hardware: raspberryPi4's poePlusHat needs nixosHardware (the PoE+ HAT overlay is nixos-hardware's). Fix: drop nixosHardware: false, or drop poePlusHat.",
    );
  });

  // nixos-hardware's raspberry-pi/4/default.nix sets `boot.kernelPackages = lib.mkDefault
  // (pkgs.linuxPackagesFor (pkgs.callPackage ../common/kernel.nix { rpiVersion = 4; }))`, a kernel
  // Hydra does not build for the binary cache (NixOS/nixos-hardware#325); a plain definition wins.
  it('runs the mainline kernel from the binary cache by default, over nixos-hardware\'s vendor kernel', () => {
    expect(evalModule(path.join(piFlake(), 'hosts/pi/hardware.nix'), PI_PACKAGES).boot.kernelPackages).toBe('pkg:linuxPackages');
  });

  it('leaves the kernel to nixos-hardware (the vendor kernel) when asked', () => {
    const hw = evalModule(path.join(piFlake({ kernel: RaspberryPiKernel.VENDOR }), 'hosts/pi/hardware.nix'), PI_PACKAGES);
    expect(hw.boot.kernelPackages).toBeUndefined();
  });

  it('refuses the vendor kernel without nixos-hardware, whose kernel it is', () => {
    const { lab } = smallLab();
    new Host(lab, 'pi', { hardware: HardwareProfile.raspberryPi4({ kernel: RaspberryPiKernel.VENDOR, nixosHardware: false }), ipAddress: '10.0.0.2' });
    expect(validateLab(lab).errors.map((f) => `${f.path}: ${f.message}`)).toContain(
      "testlab/pi: hardware: raspberryPi4's vendor kernel comes from nixos-hardware, which nixosHardware: false leaves out. Fix: drop nixosHardware: false, or use RaspberryPiKernel.MAINLINE.",
    );
  });
});

describe('the SD image of a Raspberry Pi 4', () => {
  it('is a package of the flake: the Pi\'s own configuration extended with nixpkgs\' sd-image-aarch64 module, for the Pi only', () => {
    const dir = piFlake();
    const outputs = evalNixJson(`
      let
        flake = import ${dir}/flake.nix;
        configuration = name: { extendModules = args: { config.system.build.sdImage = { image-of = name; modules = map toString args.modules; }; }; };
        outputs = flake.outputs {
          self = { nixosConfigurations = { pi = configuration "pi"; web = configuration "web"; }; };
          nixpkgs.lib.nixosSystem = args: args;
        };
      in outputs.packages
    `) as Record<string, Record<string, { 'image-of': string; modules: string[] }>>;
    expect(Object.keys(outputs)).toEqual(['aarch64-linux']);
    expect(Object.keys(outputs['aarch64-linux'])).toEqual(['pi-sd-image']);
    const image = outputs['aarch64-linux']['pi-sd-image'];
    expect(image['image-of']).toBe('pi');
    expect(image.modules).toEqual([path.join(dir, 'hosts/pi/sd-image.nix')]);
    const module = evalModule(path.join(dir, 'hosts/pi/sd-image.nix'));
    expect(module.imports).toEqual(['/modules/installer/sd-card/sd-image-aarch64.nix']);
  });

  // nixpkgs' installer/sd-card/sd-image.nix: `fileSystems."/" = { device =
  // "/dev/disk/by-label/${config.sdImage.rootVolumeLabel}"; fsType = "ext4"; }`, the label's
  // default "NIXOS_SD": the same device and type as the Pi's hardware module, so they merge.
  it('mounts the root the image makes, as the Pi\'s hardware module does', () => {
    const hw = evalModule(path.join(piFlake(), 'hosts/pi/hardware.nix'), PI_PACKAGES);
    expect(hw.fileSystems['/']).toMatchObject({ device: '/dev/disk/by-label/NIXOS_SD', fsType: 'ext4' });
  });

  it('is not part of the configuration the Pi rebuilds into', () => {
    const dir = piFlake();
    expect(fs.readFileSync(path.join(dir, 'hosts/pi/configuration.nix'), 'utf8')).not.toContain('sd-image');
  });
});
