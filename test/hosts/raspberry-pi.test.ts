import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Addressing, HardwareProfile, Host, RaspberryPi4Props, renderNixFlake, validateLab } from '../../lib/internal';
import { materialize, smallLab, vmHost } from '../support/labs';
import { evalModule, evalNixJson, nixFilesUnder, parseNixFiles } from '../support/nix';

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
    const hw = evalModule(path.join(piFlake(), 'hosts/pi/hardware.nix'));
    expect(hw.boot.kernelParams).toEqual(expect.arrayContaining(['cgroup_enable=memory', 'cgroup_memory=1']));
    // NixOS's kernelParam type: no unquoted spaces.
    expect(hw.boot.kernelParams.every((p: string) => /^\S+$/.test(p))).toBe(true);
  });

  it('spares the SD card: root mounted noatime, the journal in RAM', () => {
    const hw = evalModule(path.join(piFlake(), 'hosts/pi/hardware.nix'));
    expect(hw.fileSystems['/']).toEqual({ device: '/dev/disk/by-label/NIXOS_SD', fsType: 'ext4', options: ['noatime'] });
    expect(hw.services.journald.storage).toBe('volatile');
    expect(hw.boot.loader['generic-extlinux-compatible'].enable).toBe(true);
  });

  it('turns the PoE+ HAT overlay on when the Pi has one', () => {
    expect(evalModule(path.join(piFlake({ poePlusHat: true }), 'hosts/pi/hardware.nix')).hardware['raspberry-pi']['4']['poe-plus-hat'].enable).toBe(true);
    expect(evalModule(path.join(piFlake(), 'hosts/pi/hardware.nix')).hardware['raspberry-pi']).toBeUndefined();
  });

  it('stays usable without k3s, without nixos-hardware and with a persistent journal', () => {
    const dir = piFlake({ nixosHardware: false, memoryCgroup: false, volatileJournal: false });
    const hw = evalModule(path.join(dir, 'hosts/pi/hardware.nix'));
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
});
