/**
 * Installing a NixOS VM's own configuration with nixos-anywhere, from Terraform: the VM first
 * boots a cloud image that cloud-init makes reachable over SSH with a lab user's key, then
 * nixos-anywhere's Terraform module (`terraform/all-in-one`) kexecs into its installer there,
 * partitions the disk with the guest's disko layout, installs the guest's configuration from the
 * flake with its SSH host key, and reboots into it. No console step.
 */
import type { Host } from '../hosts/host';
import { HardwareKind } from '../hosts/hardware-profile';
import { displayPath, problem } from '../core/validation';
import type { ProxmoxVm } from './proxmox-vm';

/**
 * The nixos-anywhere release whose Terraform module the stacks call. Its variables are the ones
 * `../shared/terraform/nixos-anywhere-modules.json` describes (release 1.13.0, commit
 * bad98b0685cf47eaeadcaf6787da8b51cf025693); a test checks every module block against a copy.
 */
export const NIXOS_ANYWHERE_RELEASE = '1.13.0';

/** The module source of nixos-anywhere's all-in-one module, pinned to {@link NIXOS_ANYWHERE_RELEASE}. */
export const NIXOS_ANYWHERE_MODULE_SOURCE = `github.com/nix-community/nixos-anywhere//terraform/all-in-one?ref=${NIXOS_ANYWHERE_RELEASE}`;

/**
 * The least memory nixos-anywhere's kexec installer runs in: "At least 1.5 GB of RAM (excluding
 * swap space)" (nixos-anywhere docs/requirements.md, release 1.13.0).
 */
export const NIXOS_ANYWHERE_MIN_MEMORY_MIB = 1536;

/** The flake's extra-files script that puts a host's key in place (relative to the flake's root). */
export const INSTALL_HOST_KEY_SCRIPT = 'scripts/install-host-key.sh';

/** Options of {@link BootSource.nixosAnywhere}. */
export interface NixosAnywhereOptions {
  /**
   * The flake's directory relative to the project's root (where `homelab synth` writes
   * `dist/nix`). The stack reaches it from its own folder, three levels below the project
   * (`dist/terraform/<stack>` and cdktf's `cdktf.out/stacks/<stack>` alike).
   * @default "dist/nix"
   */
  readonly flakeDirectory?: string;
  /**
   * Build the system on the VM instead of on the machine that runs Terraform (which then needs
   * no x86_64-linux builder), nixos-anywhere's `build_on_remote`.
   * @default false
   */
  readonly buildOnRemote?: boolean;
  /**
   * nixos-anywhere's `debug_logging`: print each command it runs.
   * @default false
   */
  readonly debugLogging?: boolean;
}

/** A nixos-anywhere install with its defaults applied. */
export interface NixosAnywhereInstall {
  /** The flake's directory relative to the project's root. */
  readonly flakeDirectory: string;
  /** Build on the VM. */
  readonly buildOnRemote: boolean;
  /** Debug logging. */
  readonly debugLogging: boolean;
}

/** The options with their defaults applied. */
export function nixosAnywhereInstall(options: NixosAnywhereOptions): NixosAnywhereInstall {
  return { flakeDirectory: options.flakeDirectory ?? 'dist/nix', buildOnRemote: options.buildOnRemote ?? false, debugLogging: options.debugLogging ?? false };
}

/**
 * The disk the guest's hardware module installs GRUB to, and the root file system's label, when
 * the disko layout can make them: the root must be mounted by label (disko labels the file
 * system it creates; the hardware module keeps mounting it as before).
 */
export interface GuestDiskLayout {
  /** The boot disk (`/dev/sda`). */
  readonly device: string;
  /** The label of the root file system (`nixos`). */
  readonly rootLabel: string;
  /** The root file system's type (`ext4`). */
  readonly rootFsType: string;
}

/** File systems whose mkfs sets the label with `-L` (mke2fs, mkfs.xfs, mkfs.btrfs), as the disko layout does. */
const LABELLED_BY_DASH_L = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs']);

/**
 * The disk layout of a QEMU guest's hardware profile, or undefined when it mounts its root
 * otherwise than by label, or on a file system the layout cannot label.
 */
export function guestDiskLayout(host: Host): GuestDiskLayout | undefined {
  const details = host.hardware.details;
  if (details.kind !== HardwareKind.QEMU_GUEST) {
    return undefined;
  }
  const label = /^\/dev\/disk\/by-label\/([A-Za-z0-9_.+-]+)$/.exec(details.rootFileSystem.device);
  if (!label || !LABELLED_BY_DASH_L.has(details.rootFileSystem.fsType)) {
    return undefined;
  }
  return { device: details.bootDisk, rootLabel: label[1], rootFsType: details.rootFileSystem.fsType };
}

/** Problems of a VM that nixos-anywhere installs (see {@link BootSource.nixosAnywhere}). */
export function nixosAnywhereProblems(vm: ProxmoxVm, install: NixosAnywhereInstall | undefined): string[] {
  if (!install) {
    return [];
  }
  const guest = vm.guest;
  if (!guest) {
    return [problem('BootSource.nixosAnywhere installs the VM\'s NixOS guest, and the VM has none', 'give the VM its guest Host, or boot it with BootSource.cloudImage')];
  }
  const errors: string[] = [];
  const user = vm.cloudInit?.user;
  if (!user) {
    errors.push(
      problem(
        'nixos-anywhere logs in to the cloud image over SSH as the account cloud-init creates, and the VM sets up none',
        'give cloudInit: { user } with a lab user that has SSH keys and sudo (the admin)',
      ),
    );
  } else {
    if (user.sshKeys.length === 0) {
      errors.push(problem(`cloud-init user ${user.userName} has no SSH key, so nixos-anywhere cannot log in to the cloud image`, `give ${user.userName} sshKeys`));
    }
    if (!user.passwordlessSudo) {
      errors.push(
        problem(
          `cloud-init user ${user.userName} has no passwordless sudo on ${guest.hostName}, which nixos-anywhere's install and its later nixos-rebuild need (they run as that user)`,
          `give ${user.userName} sudo: true without a hashedPasswordFile, or install another way (BootSource.iso)`,
        ),
      );
    }
    if (!guest.users.includes(user)) {
      errors.push(problem(`cloud-init user ${user.userName} has no account on ${guest.hostName}, and nixos-anywhere deploys later changes as that user`, `give ${guest.hostName} the user ${user.userName} (Host users)`));
    }
  }
  if (vm.cloudInit?.userData !== undefined) {
    errors.push(problem('cloudInit.userData replaces the account nixos-anywhere logs in with', 'leave userData out of a VM that nixos-anywhere installs'));
  }
  if (vm.memory.to('MiB') < NIXOS_ANYWHERE_MIN_MEMORY_MIB) {
    errors.push(
      problem(
        `the VM has ${vm.memory} of memory, and nixos-anywhere's kexec installer needs at least 1.5 GiB (its requirements)`,
        `give the VM at least ${NIXOS_ANYWHERE_MIN_MEMORY_MIB} MiB, or install it another way (BootSource.iso)`,
      ),
    );
  }
  if (vm.ipAddress === '') {
    errors.push(problem(`${guest.hostName} has no address for nixos-anywhere to reach`, `give ${guest.hostName} an ipAddress`));
  }
  if (guest.hardware.kind === HardwareKind.QEMU_GUEST) {
    const layout = guestDiskLayout(guest);
    const first = vm.disks[0]?.interface ?? '';
    if (!layout) {
      errors.push(
        problem(
          `${guest.hostName}'s root file system is not an ext4, xfs or btrfs file system mounted by label, so the disko layout that nixos-anywhere partitions with cannot match its hardware module`,
          'give HardwareProfile.qemuGuest a rootFileSystem on /dev/disk/by-label/<label> of one of those types (the default is ext4 labelled "nixos")',
        ),
      );
    } else if ((/^\/dev\/sd[a-z]$/.test(layout.device) && !/^(scsi|sata)\d+$/.test(first)) || (/^\/dev\/vd[a-z]$/.test(layout.device) && !first.startsWith('virtio'))) {
      errors.push(
        problem(
          `${guest.hostName} installs GRUB to ${layout.device}, but the VM's first disk is ${first || 'missing'}, which the guest does not see there`,
          `make the first disk ${layout.device.startsWith('/dev/sd') ? 'a scsi or sata disk' : 'a virtio disk'}, or set the Host's bootDisk to match it`,
        ),
      );
    }
  }
  if (vm.adoption) {
    errors.push(problem(`${displayPath(vm)} is adopted, and nixos-anywhere would wipe its disk`, 'boot an adopted VM with BootSource.fromDisk()'));
  }
  return errors;
}
