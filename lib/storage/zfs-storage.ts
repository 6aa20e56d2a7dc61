/**
 * What a VM disk (the Proxmox projection) or a replication points at: a ZFS pool or dataset of
 * the model, never a free string. Both {@link ZfsPool} and {@link ZfsDataset} implement it.
 */
import { IConstruct } from 'constructs';
import { Size } from '../core/size';
import type { Host } from '../hosts/host';
import { Kind } from '../core/kind';

/** A ZFS pool or dataset that can hold VM disks, receive replicas or be snapshotted. */
export interface IZfsStorage extends IConstruct {
  /** The host whose pool holds it. */
  readonly host: Host;
  /** The full ZFS name (`tank`, `tank/vms/my-app`). */
  readonly datasetName: string;
  /**
   * The Proxmox storage id backed by it (`tank`, `fast`, `tank-vms`): by default the dataset
   * name with `/` replaced by `-`. Unique per host.
   */
  readonly storageId: string;
}

/** The kind of IZfsStorage: `ZFS_STORAGE.mark(this)` in the constructor, `ZFS_STORAGE.is(x)` to recognise one (of any copy of the library). */
export const ZFS_STORAGE = Kind.named<IZfsStorage>('ZfsStorage');

/** The default storage id of a dataset name: `tank/vms` → `tank-vms`. */
export function defaultStorageId(datasetName: string): string {
  return datasetName.replace(/\//g, '-');
}

/**
 * A Proxmox storage id as `pvesm` accepts it: a letter, then letters, digits, `-`, `_`, `.`,
 * ending with a letter or digit.
 */
export function isStorageId(id: string): boolean {
  return /^[A-Za-z]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/.test(id);
}

/**
 * The volblocksize of the zvols made under a storage: OpenZFS's default since 2.2, and Proxmox
 * VE's default `blocksize` of a `zfspool` storage (16k since 8.1).
 */
export const DEFAULT_VOLBLOCKSIZE = Size.kibibytes(16);

/**
 * Volumes something outside the model's datasets creates as children of a pool or dataset: a
 * Proxmox ZFS storage makes each VM disk a zvol (`tank/vms/my-app/vm-101-disk-0`) and each
 * container volume a file system.
 */
export interface ZfsVolumeUse {
  /** The construct whose volumes they are (a Proxmox storage). */
  readonly by: IConstruct;
  /** What makes them, for messages (`the Proxmox storage my-app`). */
  readonly description: string;
  /** Are some of them zvols (VM disks), whose blocks are {@link DEFAULT_VOLBLOCKSIZE}? */
  readonly zvols: boolean;
}

const VOLUME_USES = Symbol.for('homelab-cdk.ZfsVolumeUses');

/**
 * Declares that volumes are created under a pool or dataset (called by a Proxmox ZFS storage's
 * constructor): its snapshots then include its children by default, its small blocks stay off
 * the special vdev, and an off-site backup of its files is refused (they hold none of the volumes).
 */
export function addVolumeUse(storage: IZfsStorage, use: ZfsVolumeUse): void {
  const holder = storage as unknown as Record<symbol, ZfsVolumeUse[] | undefined>;
  if (!holder[VOLUME_USES]) {
    Object.defineProperty(storage, VOLUME_USES, { value: [] });
  }
  holder[VOLUME_USES]!.push(use);
}

/** The volumes declared under a pool or dataset itself (not under its child datasets). */
export function volumeUsesOf(storage: IZfsStorage): readonly ZfsVolumeUse[] {
  return (storage as unknown as Record<symbol, ZfsVolumeUse[] | undefined>)[VOLUME_USES] ?? [];
}
