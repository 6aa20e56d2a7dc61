/**
 * The physical devices ZFS pools are built from: whole disks named by `/dev/disk/by-id/…` and
 * GPT partitions of them (`…-part1`). These are values, not constructs: a disk belongs to no
 * construct, and the vdevs that use it (or its partitions) are checked per host for devices used
 * twice. The reference lab partitions its two SSDs into a special, a log and a cache partition.
 */
import { addValueProblem } from '../core/problems';
import { quoted } from '../core/readable';
import { Size } from '../core/size';
import { problem } from '../core/validation';
import { Kind } from '../core/kind';

/** The directory every disk path should be under: names that survive a reboot and a re-cabling. */
export const DISK_BY_ID = '/dev/disk/by-id/';

/** What a partition holds. */
export enum PartitionType {
  /** A member of a ZFS vdev (sgdisk type code BF01). */
  ZFS = 'zfs',
  /** The EFI system partition, vfat (sgdisk type code EF00), mounted by NixOS. */
  EFI_SYSTEM = 'efi-system',
}

/** Props of {@link Disk.byId}. */
export interface DiskProps {
  /** The disk's capacity as sold (disks are sold in decimal units: `Size.terabytes(4)`). */
  readonly size: Size;
  /**
   * A few words on the disk ("WD Red Plus 4 TB"), for summaries.
   * @default - none
   */
  readonly description?: string;
}

/** Props of {@link Disk.addPartition}. */
export interface DiskPartitionProps {
  /**
   * The partition's size.
   * @default - the rest of the disk (only the last partition may leave it out)
   */
  readonly size?: Size;
  /**
   * What the partition holds.
   * @default PartitionType.ZFS
   */
  readonly type?: PartitionType;
  /**
   * Where an EFI system partition is mounted (only for `PartitionType.EFI_SYSTEM`).
   * @default "/boot"
   */
  readonly mountpoint?: string;
}

const DISK = Kind.named<Disk>('Disk');
const DISK_PARTITION = Kind.named<DiskPartition>('DiskPartition');

/** A whole disk, named by its stable path under `/dev/disk/by-id/`. */
export class Disk {
  /** Is `x` a Disk (of any copy of this library)? */
  public static isDisk(x: unknown): x is Disk {
    return DISK.is(x);
  }

  /**
   * A disk by its `/dev/disk/by-id/` path (`ls -l /dev/disk/by-id/` lists them). A path elsewhere
   * (`/dev/sda`) is reported by the vdevs that use the disk.
   */
  public static byId(path: string, props: DiskProps): Disk {
    return new Disk(path, props);
  }

  /** The disk's path. */
  public readonly path: string;
  /** Its capacity. */
  public readonly size: Size;
  /** Its description, if given. */
  public readonly description?: string;
  private readonly parts: DiskPartition[] = [];

  private constructor(path: string, props: DiskProps) {
    DISK.mark(this);
    this.path = path;
    this.size = Size.isSize(props?.size) ? props.size : Size.bytes(0);
    this.description = props?.description;
    if (!Size.isSize(props?.size)) {
      addValueProblem(this, (field) => problem(`${field}: the size of disk ${quoted(path)} is not a Size`, 'give its capacity as sold, such as size: Size.terabytes(4)'));
    } else if (props.size.isValid() && props.size.isZero()) {
      addValueProblem(this, (field) => problem(`${field}: disk ${quoted(path)} has a size of 0 bytes`, 'give its capacity as sold, such as size: Size.terabytes(4)'));
    }
  }

  /** The last segment of the path (`ata-WDC_WD40EFZX-…`), a name for the disk in generated files. */
  public get name(): string {
    return this.path.split('/').filter((s) => s !== '').pop() ?? this.path;
  }

  /** The partitions declared on the disk, numbered from 1 in the order they were added. */
  public get partitions(): readonly DiskPartition[] {
    return this.parts;
  }

  /**
   * Declares the next GPT partition of the disk (`<path>-part1`, `-part2`, …). Creating the pools
   * (disko or `scripts/create-pools-<host>.sh`) lays the partitions out in this order.
   */
  public addPartition(props: DiskPartitionProps = {}): DiskPartition {
    const last = this.parts[this.parts.length - 1];
    const number = this.parts.length + 1;
    const disk = quoted(this.path);
    if (last && last.declaredSize === undefined) {
      addValueProblem(this, (field) =>
        problem(`${field}: partition ${last.number} of disk ${disk} takes the rest of the disk, so partition ${number} cannot follow it`, `give partition ${last.number} a size, or make partition ${number} the last one`),
      );
    }
    const type = props.type ?? PartitionType.ZFS;
    if (props.mountpoint !== undefined && type !== PartitionType.EFI_SYSTEM) {
      addValueProblem(this, (field) =>
        problem(`${field}: partition ${number} of disk ${disk} has a mountpoint, but only an EFI system partition has one (ZFS partitions are mounted through their datasets)`, 'drop mountpoint, or give the partition type: PartitionType.EFI_SYSTEM'),
      );
    }
    if (props.size !== undefined && (!Size.isSize(props.size) || (props.size.isValid() && props.size.isZero()))) {
      addValueProblem(this, (field) =>
        problem(`${field}: partition ${number} of disk ${disk} has ${Size.isSize(props.size) ? 'a size of 0 bytes' : 'a size that is not a Size'}`, 'give it a size such as Size.gibibytes(32), or leave size out to take the rest of the disk'),
      );
    }
    const declared = props.size === undefined || Size.isSize(props.size) ? props.size : Size.bytes(0);
    const partition = new DiskPartition(this, number, declared, type, type === PartitionType.EFI_SYSTEM ? (props.mountpoint ?? '/boot') : undefined);
    this.parts.push(partition);
    return partition;
  }

  /** Is the path under `/dev/disk/by-id/`, with a plain name? */
  public get isById(): boolean {
    const rest = this.path.slice(DISK_BY_ID.length);
    return this.path.startsWith(DISK_BY_ID) && /^[A-Za-z0-9][A-Za-z0-9_.:+@-]*$/.test(rest) && !/-part\d+$/.test(rest);
  }

  /** What is wrong with the disk's partition table: sizes beyond the disk. */
  public partitionProblems(): string[] {
    const declared = this.parts.map((p) => p.declaredSize).filter((s): s is Size => s !== undefined);
    const total = declared.reduce((a, b) => a.plus(b), Size.bytes(0));
    if (total.compareTo(this.size) > 0) {
      return [`the partitions of ${this.path} add up to ${total}, more than the disk's ${this.size}`];
    }
    return [];
  }

  /** The disk's `/dev/disk/by-id/` path, for messages. */
  public toString(): string {
    return this.path;
  }
}

/** A GPT partition of a {@link Disk}. Made with {@link Disk.addPartition}. */
export class DiskPartition {
  /** Is `x` a DiskPartition (of any copy of this library)? */
  public static isDiskPartition(x: unknown): x is DiskPartition {
    return DISK_PARTITION.is(x);
  }

  /** @internal */
  public constructor(
    /** The disk it is on. */
    public readonly disk: Disk,
    /** Its number in the partition table, from 1. */
    public readonly number: number,
    /** Its size as declared; undefined for "the rest of the disk". */
    public readonly declaredSize: Size | undefined,
    /** What it holds. */
    public readonly type: PartitionType,
    /** Where an EFI system partition is mounted. */
    public readonly mountpoint: string | undefined,
  ) {
    DISK_PARTITION.mark(this);
  }

  /** Its path: the disk's path with `-part<N>`, as udev names partitions of by-id disks. */
  public get path(): string {
    return `${this.disk.path}-part${this.number}`;
  }

  /** Its size: as declared, or what the other partitions leave of the disk. */
  public get size(): Size {
    if (this.declaredSize !== undefined) {
      return this.declaredSize;
    }
    const others = this.disk.partitions.filter((p) => p !== this && p.declaredSize !== undefined).reduce((a, p) => a.plus(p.declaredSize!), Size.bytes(0));
    const rest = this.disk.size.toBytes() - others.toBytes();
    return Size.bytes(Math.max(0, rest));
  }

  /** The partition's `/dev/disk/by-id/…-partN` path, for messages. */
  public toString(): string {
    return this.path;
  }
}

/** A device a vdev is made of: a whole disk or a partition. */
export type StorageDevice = Disk | DiskPartition;

/** The disk a device is on (the device itself for a whole disk). */
export function diskOf(device: StorageDevice): Disk {
  return DiskPartition.isDiskPartition(device) ? device.disk : device;
}
