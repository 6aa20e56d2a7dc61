/** A VM's disks: their props, their defaults and their checks. */
import { Size } from '../core/size';
import { problem } from '../core/validation';
import type { ProxmoxHost } from './proxmox-host';
import { ProxmoxStorage, StorageContent, StorageType } from './proxmox-storage';
import { storageUseProblems } from './vm-placement';

/** A disk image format. */
export enum DiskFormat {
  /** A raw image: the only format on ZFS and LVM thin storages (a zvol or a logical volume). */
  RAW = 'raw',
  /** QEMU's copy-on-write format, on a directory storage. */
  QCOW2 = 'qcow2',
  /** VMware's format, on a directory storage (for images moved from VMware). */
  VMDK = 'vmdk',
}

/** A VM disk. */
export interface VmDiskProps {
  /** The storage the disk lives on. */
  readonly storage: ProxmoxStorage;
  /** The size, in whole GiB (Proxmox's "G"). */
  readonly size: Size;
  /**
   * The bus and index (`scsi0`, `virtio1`, `sata0`).
   * @default - scsi0, scsi1, … in the order of the disks
   */
  readonly interface?: string;
  /**
   * The image format. ZFS and LVM thin storages hold raw disks only.
   * @default DiskFormat.RAW
   */
  readonly format?: DiskFormat;
  /**
   * Pass the guest's TRIM to the storage, so thin-provisioned storage (ZFS, LVM thin) gets freed
   * blocks back.
   * @default true
   */
  readonly discard?: boolean;
  /**
   * Present the disk as an SSD.
   * @default false
   */
  readonly ssd?: boolean;
  /**
   * Give the disk its own I/O thread.
   * @default false
   */
  readonly iothread?: boolean;
  /**
   * Include the disk in vzdump backups.
   * @default true
   */
  readonly backup?: boolean;
}

/** A disk with its defaults applied. */
export interface VmDisk extends Required<Omit<VmDiskProps, 'storage' | 'size'>> {
  /** The storage. */
  readonly storage: ProxmoxStorage;
  /** The size. */
  readonly size: Size;
}

/** The CD-ROM slot an ISO boot source uses (`ide2`, which every machine type has). */
export const CDROM_INTERFACE = 'ide2';

/** Interfaces Proxmox accepts, and how many of each. */
const DISK_BUSES: Record<string, number> = { scsi: 31, virtio: 16, sata: 6, ide: 4 };

/** A disk with its defaults applied: the `index`th disk of its VM. */
export function vmDisk(props: VmDiskProps, index: number): VmDisk {
  return {
    interface: props.interface ?? `scsi${index}`,
    format: props.format ?? DiskFormat.RAW,
    discard: props.discard ?? true,
    ssd: props.ssd ?? false,
    iothread: props.iothread ?? false,
    backup: props.backup ?? true,
    storage: props.storage,
    size: props.size,
  };
}

/**
 * Problems of a VM's disks on `node`: interfaces Proxmox knows and each used once (the CD-ROM
 * of an ISO boot takes ide2), whole GiB, storages of the node that hold disks, formats the
 * storage can hold.
 */
export function vmDiskProblems(disks: readonly VmDisk[], node: ProxmoxHost, cdromInUse: boolean): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const disk of disks) {
    const what = `disk ${disk.interface}`;
    const bus = /^(scsi|virtio|sata|ide)(\d+)$/.exec(disk.interface);
    if (!bus || Number(bus[2]) >= DISK_BUSES[bus[1]]) {
      errors.push(problem(`${what} is not a Proxmox disk interface`, 'use scsi0–scsi30, virtio0–virtio15, sata0–sata5 or ide0–ide3'));
    }
    if (seen.has(disk.interface) || (disk.interface === CDROM_INTERFACE && cdromInUse)) {
      errors.push(problem(`${what} is used twice${disk.interface === CDROM_INTERFACE ? ' (the ISO takes ide2)' : ''}`, 'give each disk its own interface'));
    }
    seen.add(disk.interface);
    const gib = disk.size.to('GiB');
    if (!Number.isInteger(gib) || gib < 1) {
      errors.push(problem(`${what} is ${disk.size}, not a whole number of GiB`, 'give the size in whole GiB, such as Size.gibibytes(32)'));
    }
    errors.push(...storageUseProblems(node, disk.storage, what, StorageContent.IMAGES));
    if (disk.ssd && disk.interface.startsWith('virtio')) {
      errors.push(problem(`${what} is a VirtIO block device, which cannot be presented as an SSD`, 'use a scsi interface, or set ssd: false'));
    }
    if (disk.format !== DiskFormat.RAW && disk.storage.type !== StorageType.DIRECTORY) {
      errors.push(problem(`${what} is ${disk.format} on the ${disk.storage.type} storage ${disk.storage.storageId}, which holds raw disks only`, 'use DiskFormat.RAW (the default), or a directory storage'));
    }
  }
  return errors;
}
