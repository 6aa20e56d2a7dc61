/**
 * What a host runs on. A profile gives the host its default system (x86_64 or aarch64), the
 * name of its first network interface, and whether it is a virtual machine (whose MAC address
 * the library may derive); the Nix projection turns it into the host's hardware module.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addValueProblem } from '../core/problems';
import { problem } from '../core/validation';

/** The Nix system of a host. */
export enum NixSystem {
  /** 64-bit x86 (Intel, AMD): the Proxmox host and its VMs. */
  X86_64_LINUX = 'x86_64-linux',
  /** 64-bit ARM: a Raspberry Pi 4. */
  AARCH64_LINUX = 'aarch64-linux',
}

/** Which kind of profile. */
export enum HardwareKind {
  /** The host's own hardware-configuration.nix (from `nixos-generate-config`). */
  FILE = 'file',
  /** A QEMU/KVM guest, such as a Proxmox VM. */
  QEMU_GUEST = 'qemu-guest',
  /** A Raspberry Pi 4. */
  RASPBERRY_PI_4 = 'raspberry-pi-4',
  /** A physical x86_64 machine described by its CPU vendor and boot loader. */
  BARE_METAL = 'bare-metal',
}

/** A file system to mount. */
export interface FileSystemProps {
  /** The device, by label, UUID or id (`/dev/disk/by-label/nixos`). */
  readonly device: string;
  /** The file system type (`ext4`, `vfat`, `zfs`, …). */
  readonly fsType: string;
  /**
   * Mount options.
   * @default - the file system's defaults
   */
  readonly options?: string[];
}

/** Options of {@link HardwareProfile.fromFile}. */
export interface HardwareFileOptions {
  /**
   * The host's Nix system.
   * @default NixSystem.X86_64_LINUX
   */
  readonly system?: NixSystem;
  /**
   * Name of the network interface that carries the lab network.
   * @default - none: required only when the host's address is configured statically
   */
  readonly interfaceName?: string;
}

/** Props of {@link HardwareProfile.qemuGuest}. */
export interface QemuGuestProps {
  /**
   * The root file system.
   * @default - ext4 on the disk labelled "nixos"
   */
  readonly rootFileSystem?: FileSystemProps;
  /**
   * The disk GRUB installs to (the guest boots with SeaBIOS).
   * @default "/dev/sda"
   */
  readonly bootDisk?: string;
  /**
   * Name of the first network interface in the guest.
   * @default "ens18" (the first virtio NIC of a Proxmox VM)
   */
  readonly interfaceName?: string;
}

/** Props of {@link HardwareProfile.bareMetal}. */
export interface BareMetalProps {
  /** The CPU vendor, for microcode updates and the KVM module. */
  readonly cpuVendor: 'intel' | 'amd';
  /**
   * The boot loader: systemd-boot (UEFI) or GRUB (legacy BIOS).
   * @default "systemd-boot"
   */
  readonly bootLoader?: 'systemd-boot' | 'grub';
  /**
   * The disk GRUB installs to, with `bootLoader: "grub"`. Use a `/dev/disk/by-id/` path.
   * @default - required for GRUB
   */
  readonly grubDevice?: string;
  /**
   * Kernel modules the initrd needs to reach the root file system.
   * @default ["nvme", "xhci_pci", "ahci", "usbhid", "sd_mod"]
   */
  readonly initrdModules?: string[];
  /**
   * The root file system, or `false` when another part of the model declares it (a ZFS root
   * pool, say).
   * @default - ext4 on the disk labelled "nixos"
   */
  readonly rootFileSystem?: FileSystemProps | false;
  /**
   * The EFI system partition, with systemd-boot; `false` when declared elsewhere.
   * @default - vfat on the partition labelled "boot", mounted at /boot
   */
  readonly bootFileSystem?: FileSystemProps | false;
  /**
   * Name of the network interface that carries the lab network.
   * @default - none: required only when the host's address is configured statically
   */
  readonly interfaceName?: string;
}

/** The kernel a Raspberry Pi 4 runs. */
export enum RaspberryPiKernel {
  /**
   * NixOS's default mainline kernel (`pkgs.linuxPackages`), which the public binary cache has; it
   * supports the Pi 4 (bcm2711 device trees) and k3s.
   */
  MAINLINE = 'mainline',
  /**
   * The Raspberry Pi Foundation's kernel that nixos-hardware's module defaults to
   * (`linuxPackages_rpi4`): the vendor's drivers and overlays, but not in the binary cache, so
   * the Pi compiles it for hours on its first rebuild (NixOS/nixos-hardware#325). Needs
   * `nixosHardware`.
   */
  VENDOR = 'vendor',
}

/** Props of {@link HardwareProfile.raspberryPi4}. */
export interface RaspberryPi4Props {
  /**
   * Name of the Ethernet interface.
   * @default "end0" (the name current NixOS kernels give the Pi 4's on-board Ethernet)
   */
  readonly interfaceName?: string;
  /**
   * Use nixos-hardware's `raspberry-pi-4` module (the Raspberry Pi kernel, device tree, firmware)
   * as a flake input; `false` keeps to the explicit minimal module written by the library.
   * @default true
   */
  readonly nixosHardware?: boolean;
  /**
   * Enable the memory cgroup on the kernel command line (`cgroup_enable=cpuset
   * cgroup_enable=memory cgroup_memory=1`). The Raspberry Pi kernel disables it by default, and
   * k3s (any kubelet, or container runtime with memory limits) refuses to start without it.
   * @default true
   */
  readonly memoryCgroup?: boolean;
  /**
   * Keep the journal in RAM (`Storage=volatile`), sparing the SD card; logs do not survive a
   * reboot.
   * @default true
   */
  readonly volatileJournal?: boolean;
  /**
   * The Pi is powered by the Raspberry Pi PoE+ HAT: enables nixos-hardware's device-tree overlay
   * for its fan and power supply. Needs `nixosHardware`.
   * @default false
   */
  readonly poePlusHat?: boolean;
  /**
   * The kernel: mainline from the binary cache, or the vendor kernel that nixos-hardware's
   * module sets with `lib.mkDefault` (its raspberry-pi/4/default.nix), built from source.
   * @default RaspberryPiKernel.MAINLINE
   */
  readonly kernel?: RaspberryPiKernel;
}

/** Where a host runs. Construct with one of the static factories. */
export class HardwareProfile {
  /**
   * The host's own `hardware-configuration.nix`, as `nixos-generate-config` wrote it. The file is
   * copied into the flake at synthesis, so the flake stays self-contained.
   * @param file path of the file, relative to the working directory or absolute
   * @param options the host's system and its network interface
   */
  public static fromFile(file: string, options: HardwareFileOptions = {}): HardwareProfile {
    return new HardwareProfile(options.system ?? NixSystem.X86_64_LINUX, false, options.interfaceName, {
      kind: HardwareKind.FILE,
      file: path.resolve(file),
    });
  }

  /** A QEMU/KVM guest (a Proxmox VM): virtio drivers, the QEMU guest agent, GRUB on the first disk. */
  public static qemuGuest(props: QemuGuestProps = {}): HardwareProfile {
    return new HardwareProfile(NixSystem.X86_64_LINUX, true, props.interfaceName ?? 'ens18', {
      kind: HardwareKind.QEMU_GUEST,
      rootFileSystem: props.rootFileSystem ?? { device: '/dev/disk/by-label/nixos', fsType: 'ext4' },
      bootDisk: props.bootDisk ?? '/dev/sda',
    });
  }

  /**
   * A Raspberry Pi 4 (aarch64), booting from its SD card with the generic extlinux loader:
   * nixos-hardware's Pi 4 module, the mainline kernel from the binary cache, the memory cgroup
   * k3s needs, and settings that spare the SD card (root mounted `noatime`, the journal in RAM).
   * The flake builds its SD image (`packages.aarch64-linux.<host>-sd-image`).
   */
  public static raspberryPi4(props: RaspberryPi4Props = {}): HardwareProfile {
    const nixosHardware = props.nixosHardware ?? true;
    const profile = new HardwareProfile(NixSystem.AARCH64_LINUX, false, props.interfaceName ?? 'end0', {
      kind: HardwareKind.RASPBERRY_PI_4,
      rootFileSystem: { device: '/dev/disk/by-label/NIXOS_SD', fsType: 'ext4', options: ['noatime'] },
      nixosHardwareModule: nixosHardware ? 'raspberry-pi-4' : undefined,
      kernelParams: props.memoryCgroup === false ? [] : ['cgroup_enable=cpuset', 'cgroup_enable=memory', 'cgroup_memory=1'],
      volatileJournal: props.volatileJournal ?? true,
      poePlusHat: props.poePlusHat ?? false,
      kernel: props.kernel ?? RaspberryPiKernel.MAINLINE,
    });
    if (props.kernel === RaspberryPiKernel.VENDOR && !nixosHardware) {
      addValueProblem(profile, (field) => problem(`${field}: raspberryPi4's vendor kernel comes from nixos-hardware, which nixosHardware: false leaves out`, 'drop nixosHardware: false, or use RaspberryPiKernel.MAINLINE'));
    }
    if (props.poePlusHat && !nixosHardware) {
      addValueProblem(profile, (field) => problem(`${field}: raspberryPi4's poePlusHat needs nixosHardware (the PoE+ HAT overlay is nixos-hardware's)`, 'drop nixosHardware: false, or drop poePlusHat'));
    }
    return profile;
  }

  /** A physical x86_64 machine. */
  public static bareMetal(props: BareMetalProps): HardwareProfile {
    const bootLoader = props.bootLoader ?? 'systemd-boot';
    const missingGrubDevice = bootLoader === 'grub' && !props.grubDevice;
    const profile = new HardwareProfile(NixSystem.X86_64_LINUX, false, props.interfaceName, {
      kind: HardwareKind.BARE_METAL,
      cpuVendor: props.cpuVendor,
      bootLoader,
      grubDevice: props.grubDevice,
      initrdModules: props.initrdModules ?? ['nvme', 'xhci_pci', 'ahci', 'usbhid', 'sd_mod'],
      rootFileSystem: props.rootFileSystem === false ? undefined : (props.rootFileSystem ?? { device: '/dev/disk/by-label/nixos', fsType: 'ext4' }),
      bootFileSystem:
        props.bootFileSystem === false || bootLoader === 'grub'
          ? undefined
          : (props.bootFileSystem ?? { device: '/dev/disk/by-label/boot', fsType: 'vfat' }),
    });
    if (missingGrubDevice) {
      addValueProblem(profile, (field) => problem(`${field}: a bare-metal profile with bootLoader "grub" has no grubDevice`, "give grubDevice: the disk GRUB is installed on, as a /dev/disk/by-id/ path"));
    }
    return profile;
  }

  private constructor(
    /** The host's Nix system. */
    public readonly system: NixSystem,
    /** Is the host a virtual machine? */
    public readonly isVirtualMachine: boolean,
    /** The first network interface's name, when the profile knows it. */
    public readonly interfaceName: string | undefined,
    /** Details of the kind, with the kind itself (narrow on `details.kind` to read them), read by the Nix projection. */
    public readonly details: HardwareDetails,
  ) {}

  /** The kind of profile. */
  public get kind(): HardwareKind {
    return this.details.kind;
  }

  /** Problems with the profile (a missing hardware file), for the host's validation. */
  public problems(): string[] {
    if (this.details.kind === HardwareKind.FILE && !fs.existsSync(this.details.file)) {
      return [`hardware file ${this.details.file} does not exist`];
    }
    return [];
  }
}

/** The details of {@link HardwareKind.FILE}. */
export interface FileHardwareDetails {
  /** The kind of profile. */
  readonly kind: HardwareKind.FILE;
  /** The absolute path of the host's own hardware-configuration.nix. */
  readonly file: string;
}

/** The details of {@link HardwareKind.QEMU_GUEST}. */
export interface QemuGuestHardwareDetails {
  /** The kind of profile. */
  readonly kind: HardwareKind.QEMU_GUEST;
  /** The root file system. */
  readonly rootFileSystem: FileSystemProps;
  /** The disk GRUB installs to (`/dev/sda`). */
  readonly bootDisk: string;
}

/** The details of {@link HardwareKind.RASPBERRY_PI_4}. */
export interface RaspberryPi4HardwareDetails {
  /** The kind of profile. */
  readonly kind: HardwareKind.RASPBERRY_PI_4;
  /** The root file system (the SD card's). */
  readonly rootFileSystem: FileSystemProps;
  /** The nixos-hardware module the host imports (`raspberry-pi-4`); unset without nixos-hardware. */
  readonly nixosHardwareModule?: string;
  /** Kernel command line parameters. */
  readonly kernelParams: string[];
  /** Keep the journal in RAM. */
  readonly volatileJournal: boolean;
  /** A Raspberry Pi PoE+ HAT is fitted. */
  readonly poePlusHat: boolean;
  /** The kernel. */
  readonly kernel: RaspberryPiKernel;
}

/** The details of {@link HardwareKind.BARE_METAL}. */
export interface BareMetalHardwareDetails {
  /** The kind of profile. */
  readonly kind: HardwareKind.BARE_METAL;
  /** The CPU vendor, for microcode updates and the KVM module. */
  readonly cpuVendor: 'intel' | 'amd';
  /** The boot loader. */
  readonly bootLoader: 'systemd-boot' | 'grub';
  /** The disk GRUB installs to, with `bootLoader: "grub"`. */
  readonly grubDevice?: string;
  /** Kernel modules the initrd loads to reach the root file system. */
  readonly initrdModules: string[];
  /** The root file system; unset when another part of the model declares it. */
  readonly rootFileSystem?: FileSystemProps;
  /** The EFI system partition, mounted at `/boot` (with systemd-boot); unset with GRUB or when declared elsewhere. */
  readonly bootFileSystem?: FileSystemProps;
}

/** What a profile's kind needs to render: narrow on `kind` to read a kind's fields. */
export type HardwareDetails = FileHardwareDetails | QemuGuestHardwareDetails | RaspberryPi4HardwareDetails | BareMetalHardwareDetails;
