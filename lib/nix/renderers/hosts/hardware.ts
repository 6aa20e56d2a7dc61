/**
 * Each host's hardware module, from its HardwareProfile: the user's own
 * hardware-configuration.nix copied into the flake, or a module written for the profile.
 */
import * as fs from 'node:fs';
import { Homelab } from '../../../core/homelab';
import { FileSystemProps, HardwareKind, HardwareProfile, RaspberryPiKernel } from '../../../hosts/hardware-profile';
import { Host } from '../../../hosts/host';
import { NixFlake, renderSettingsModule } from '../../nix-flake';
import { NixAttrs, NixExpr } from '../../nix-value';

/** Kernel modules of a QEMU/KVM guest: NixOS's profiles/qemu-guest.nix, written out. */
const QEMU_GUEST_INITRD_MODULES = ['virtio_net', 'virtio_pci', 'virtio_mmio', 'virtio_blk', 'virtio_scsi', '9p', '9pnet_virtio', 'ata_piix', 'uhci_hcd', 'sr_mod'];
const QEMU_GUEST_KERNEL_MODULES = ['virtio_balloon', 'virtio_console', 'virtio_rng', 'virtio_gpu'];

/** Adds every host's hardware module. */
export function renderHardware(lab: Homelab, flake: NixFlake): void {
  for (const host of Host.all(lab)) {
    const profile = host.hardware;
    const d = profile.details;
    if (d.kind === HardwareKind.FILE) {
      // The user's file, as it is: it is theirs, so it gets no header.
      flake.addHostModule(host, 'hardware-configuration', fs.readFileSync(d.file, 'utf8'));
      continue;
    }
    if (d.kind === HardwareKind.RASPBERRY_PI_4 && d.nixosHardwareModule) {
      // nixos-hardware has no inputs of its own, so nothing to follow.
      flake.addInput({ name: 'nixos-hardware', url: 'github:NixOS/nixos-hardware', followsNixpkgs: false });
      flake.addHostFlakeModule(host, 'nixos-hardware', d.nixosHardwareModule);
    }
    flake.addHostModule(host, 'hardware', renderSettingsModule(lab, `${host.node.path} (hardware profile ${profile.kind})`, hardwareSettings(profile)));
  }
}

/** The NixOS settings of a generated hardware profile. */
export function hardwareSettings(profile: HardwareProfile): NixAttrs {
  const d = profile.details;
  switch (d.kind) {
    case HardwareKind.QEMU_GUEST:
      return {
        boot: {
          initrd: { availableKernelModules: QEMU_GUEST_INITRD_MODULES, kernelModules: QEMU_GUEST_KERNEL_MODULES },
          loader: { grub: { enable: true, device: d.bootDisk } },
        },
        fileSystems: fileSystems(d.rootFileSystem),
        services: { qemuGuest: { enable: true } },
      };
    case HardwareKind.RASPBERRY_PI_4:
      return {
        boot: {
          loader: { grub: { enable: false }, 'generic-extlinux-compatible': { enable: true } },
          initrd: { availableKernelModules: ['xhci_pci', 'usbhid', 'usb_storage'] },
          kernelParams: d.kernelParams.length ? d.kernelParams : undefined,
          // nixos-hardware's raspberry-pi/4 sets the vendor kernel with lib.mkDefault; a plain
          // definition of the mainline one wins, and the binary cache has it (nixos-hardware#325).
          kernelPackages: d.kernel === RaspberryPiKernel.MAINLINE ? NixExpr.ref('pkgs.linuxPackages') : undefined,
        },
        fileSystems: fileSystems(d.rootFileSystem),
        hardware: {
          enableRedistributableFirmware: true,
          'raspberry-pi': d.poePlusHat ? { '4': { 'poe-plus-hat': { enable: true } } } : undefined,
        },
        // Spare the SD card: the journal lives in RAM. (NixOS 26.05 has this option; later
        // releases move it to services.journald.settings.Journal.Storage and keep this name as a
        // renamed alias, while extraConfig is removed there: so this is the one to use.)
        services: d.volatileJournal ? { journald: { storage: 'volatile' } } : undefined,
      };
    case HardwareKind.BARE_METAL:
      return {
        boot: {
          initrd: { availableKernelModules: d.initrdModules },
          kernelModules: [`kvm-${d.cpuVendor}`],
          loader:
            d.bootLoader === 'grub'
              ? { grub: { enable: true, device: d.grubDevice } }
              : { 'systemd-boot': { enable: true }, efi: { canTouchEfiVariables: true } },
        },
        fileSystems: fileSystems(d.rootFileSystem, d.bootFileSystem),
        hardware: {
          enableRedistributableFirmware: true,
          cpu: { [d.cpuVendor]: { updateMicrocode: true } },
        },
      };
    default:
      throw new Error(`no hardware module for profile ${profile.kind}`);
  }
}

function fileSystems(root?: FileSystemProps, boot?: FileSystemProps): NixAttrs | undefined {
  if (!root && !boot) {
    return undefined;
  }
  return {
    '/': root ? { device: root.device, fsType: root.fsType, options: root.options } : undefined,
    '/boot': boot ? { device: boot.device, fsType: boot.fsType, options: ['fmask=0077', 'dmask=0077'] } : undefined,
  };
}
