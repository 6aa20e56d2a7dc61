/**
 * What a VM disk (the Proxmox projection) or a replication points at: a ZFS pool or dataset of
 * the model, never a free string. Both {@link ZfsPool} and {@link ZfsDataset} implement it.
 */
import { IConstruct } from 'constructs';
import type { Host } from '../hosts/host';

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

const ZFS_STORAGE = Symbol.for('homelab-cdk.ZfsStorage');

/** Marks a construct as an {@link IZfsStorage}; called by the constructors of pools and datasets. */
export function markZfsStorage(storage: IZfsStorage): void {
  Object.defineProperty(storage, ZFS_STORAGE, { value: true });
}

/** Is `x` a ZFS pool or dataset (of any copy of this library)? */
export function isZfsStorage(x: unknown): x is IZfsStorage {
  return typeof x === 'object' && x !== null && ZFS_STORAGE in x;
}

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
