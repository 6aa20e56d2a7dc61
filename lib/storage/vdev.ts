/**
 * What every vdev of a pool shares: its devices, its layout, and the checks of those devices
 * (paths under `/dev/disk/by-id/`, no device used twice on a host, partitions that fit).
 */
import { Construct, IConstruct } from 'constructs';
import { displayPath, problem } from '../core/validation';
import type { Host } from '../hosts/host';
import { DISK_BY_ID, Disk, diskOf, DiskPartition, PartitionType, StorageDevice } from './disk';
import { claimId } from '../core/problems';
import { recordError } from '../core/problems';
import { quoted } from '../core/readable';
import { Kind, runIndex } from '../core/kind';

/** How a vdev's devices are combined. */
export enum VdevLayout {
  /** Each device on its own: no redundancy (a single device, or a striped cache). */
  STRIPE = 'stripe',
  /** Every device holds the same data: survives all but one device failing. */
  MIRROR = 'mirror',
  /** Single parity: survives one device failing. */
  RAIDZ1 = 'raidz1',
  /** Double parity: survives two. */
  RAIDZ2 = 'raidz2',
  /** Triple parity: survives three. */
  RAIDZ3 = 'raidz3',
}

/** The fewest devices each layout takes (raidzN: N parity disks plus at least two for data). */
export const MIN_DEVICES: Readonly<Record<VdevLayout, number>> = {
  [VdevLayout.STRIPE]: 1,
  [VdevLayout.MIRROR]: 2,
  [VdevLayout.RAIDZ1]: 3,
  [VdevLayout.RAIDZ2]: 4,
  [VdevLayout.RAIDZ3]: 5,
};

/** The number of parity devices of a raidz layout (0 for the others). */
export function parityDevices(layout: VdevLayout): number {
  return { [VdevLayout.RAIDZ1]: 1, [VdevLayout.RAIDZ2]: 2, [VdevLayout.RAIDZ3]: 3 }[layout as string] ?? 0;
}

/** What a vdev is for. */
export enum VdevRole {
  /** Holds the pool's data; losing a data vdev loses the pool. */
  DATA = 'data',
  /** Holds metadata and small blocks on fast devices; losing it loses the pool. */
  SPECIAL = 'special',
  /** A separate intent log (SLOG): speeds up synchronous writes only. */
  LOG = 'log',
  /** A read cache (L2ARC): losing it loses only cached copies. */
  CACHE = 'cache',
}

/** The pool a vdev belongs to, as the vdev needs it. */
export interface IVdevPool extends IConstruct {
  /** The host the pool is on, whose other vdevs the devices are checked against. */
  readonly host: Host;
  /** The pool's name (`tank`). */
  readonly poolName: string;
  /** Are the pool's data vdevs redundant (each a mirror or raidz)? */
  readonly hasRedundantData: boolean;
}

const VDEV = Kind.named<Vdev>('Vdev');

/** A vdev of a ZFS pool: data, special, log or cache. */
export abstract class Vdev extends Construct {
  /** Is `x` a vdev (of any copy of this library)? */
  public static isVdev(x: unknown): x is Vdev {
    return VDEV.is(x);
  }

  /** The pool. */
  public readonly pool: IVdevPool;
  /** The devices, in the order `zpool create` gets them. */
  public readonly devices: readonly StorageDevice[];
  /** What the vdev is for. */
  public abstract readonly role: VdevRole;
  /** How its devices are combined. */
  public abstract readonly layout: VdevLayout;

  protected constructor(pool: IVdevPool, id: string, devices: readonly StorageDevice[]) {
    super(pool, claimId(pool, id));
    VDEV.mark(this);
    this.pool = pool;
    const given: readonly unknown[] = Array.isArray(devices) ? devices : [];
    this.devices = given.filter((d): d is StorageDevice => Disk.isDisk(d) || DiskPartition.isDiskPartition(d));
    given.forEach((d, i) => {
      if (!Disk.isDisk(d) && !DiskPartition.isDiskPartition(d)) {
        const got = typeof d === 'string' ? `the string ${quoted(d)}` : d === null ? 'null' : `a ${typeof d}`;
        recordError(this, problem(`device ${i + 1} is ${got}, not a Disk or DiskPartition`, "make devices with Disk.byId('/dev/disk/by-id/…', { size }) or disk.addPartition(...)"));
      }
    });
    this.node.addValidation({ validate: () => this.validateDevices() });
  }

  /** How many of its devices may fail without losing the vdev. */
  public get redundancy(): number {
    if (this.layout === VdevLayout.MIRROR) {
      return this.devices.length - 1;
    }
    return parityDevices(this.layout);
  }

  /** The layout of special and log vdevs: a mirror of two or more devices, else a single device. */
  protected mirrorWhenPossible(): VdevLayout {
    return this.devices.length >= 2 ? VdevLayout.MIRROR : VdevLayout.STRIPE;
  }

  /**
   * The check of special and log vdevs: a single device in a pool with redundant data vdevs is
   * an error unless explicitly allowed.
   */
  protected singleDeviceProblems(allowSingleDevice: boolean, loss: string): string[] {
    if (!this.pool.hasRedundantData || this.redundancy > 0 || allowSingleDevice || this.devices.length === 0) {
      return [];
    }
    const data = this.pool.node.children.filter(Vdev.isVdev).filter((v) => v.role === VdevRole.DATA);
    return [
      problem(
        `${this.role} vdev has ${this.devices.length} device but the data ${data.length > 1 ? 'vdevs are' : 'vdev is'} ${data.map((v) => v.layout).join(' + ')}; ${loss}`,
        'give it two devices (a mirror), or set allowSingleDevice: true to accept the risk',
      ),
    ];
  }

  /** The checks of the devices every vdev makes. */
  private validateDevices(): string[] {
    const errors: string[] = [];
    if (this.devices.length === 0) {
      errors.push(problem(`the ${this.role} vdev has no devices`, 'give it at least one disk or partition'));
    } else if (this.devices.length < MIN_DEVICES[this.layout]) {
      errors.push(
        problem(
          `a ${this.layout} vdev needs at least ${MIN_DEVICES[this.layout]} devices; this one has ${this.devices.length}`,
          `give it ${MIN_DEVICES[this.layout]} or more devices, or choose a layout for ${this.devices.length} (${suggestLayout(this.devices.length)})`,
        ),
      );
    }
    for (const device of this.devices) {
      const disk = diskOf(device);
      if (!disk.isById) {
        errors.push(
          problem(
            `device ${disk.path} is not named by ${DISK_BY_ID} (names like /dev/sda change between boots)`,
            `name the disk by its id: Disk.byId('${DISK_BY_ID}…') (ls -l ${DISK_BY_ID} shows which id points at which disk)`,
          ),
        );
      }
      if (DiskPartition.isDiskPartition(device) && device.type !== PartitionType.ZFS) {
        errors.push(problem(`partition ${device.path} is an EFI system partition, not a ZFS partition`, 'use a partition added with type PartitionType.ZFS'));
      }
    }
    errors.push(...(this.deviceIndex().get(this) ?? []));
    return errors;
  }

  /** For each vdev of the lab, what is wrong with its devices against the others on its host. */
  private deviceIndex(): Map<Vdev, string[]> {
    return DEVICE_PROBLEMS.of(this);
  }
}

function suggestLayout(n: number): string {
  const fits = Object.values(VdevLayout).filter((l) => MIN_DEVICES[l] <= n);
  return fits.join(', ');
}

/** For each vdev of the lab, what is wrong with its devices against the others on its host; once per validation run. */
const DEVICE_PROBLEMS = runIndex((root) => {
  const found = new Map<Vdev, string[]>();
  const add = (v: Vdev, message: string) => found.set(v, [...(found.get(v) ?? []), message]);
  const hosts = new Map<Host, { byPath: Map<string, Vdev>; wholeDisks: Map<string, Vdev>; partitionedDisks: Map<string, Vdev> }>();
  for (const vdev of VDEV.all(root)) {
    let host = hosts.get(vdev.pool.host);
    if (!host) {
      host = { byPath: new Map(), wholeDisks: new Map(), partitionedDisks: new Map() };
      hosts.set(vdev.pool.host, host);
    }
    for (const device of vdev.devices) {
      const first = host.byPath.get(device.path);
      const disk = diskOf(device);
      const isPartition = DiskPartition.isDiskPartition(device);
      const overlapping = isPartition ? host.wholeDisks.get(disk.path) : host.partitionedDisks.get(disk.path);
      if (first) {
        add(vdev, problem(`${device.path} is used twice on ${vdev.pool.host.hostName}: here and by ${first === vdev ? 'this vdev already' : displayPath(first)}`, 'give each disk or partition to one vdev only'));
      } else if (overlapping) {
        const what = isPartition ? `partition ${device.path} is on disk ${disk.path}, which ${displayPath(overlapping)} uses whole` : `disk ${disk.path} is used whole here, but ${displayPath(overlapping)} uses a partition of it`;
        add(vdev, problem(what, 'use either the whole disk or its partitions, not both'));
      } else if (isPartition && !host.partitionedDisks.has(disk.path)) {
        // The first user of a partitioned disk reports its partition table.
        for (const p of disk.partitionProblems()) {
          add(vdev, problem(p, 'make the partitions fit the disk (or correct the disk size)'));
        }
      }
      host.byPath.set(device.path, host.byPath.get(device.path) ?? vdev);
      (isPartition ? host.partitionedDisks : host.wholeDisks).set(disk.path, (isPartition ? host.partitionedDisks : host.wholeDisks).get(disk.path) ?? vdev);
    }
  }
  return found;
});
