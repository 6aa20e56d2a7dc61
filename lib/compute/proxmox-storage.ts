import { Construct } from 'constructs';
import { Annotations, displayPath, problem } from '../core/validation';
import { ZfsPool } from '../storage/zfs-pool';
import { addVolumeUse, ZFS_STORAGE, type IZfsStorage } from '../storage/zfs-storage';
import type { ProxmoxHost } from './proxmox-host';
import { StorageContent } from './storage-content';
import { VmImage, VmImageProps } from './vm-image';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';
import { compareText } from '../core/order';

export { StorageContent } from './storage-content';

/** The Proxmox storage types the library knows. */
export enum StorageType {
  /** A ZFS pool or dataset: VM disks are zvols (`zfspool`). */
  ZFS_POOL = 'zfspool',
  /** A directory on a mounted file system (`dir`), such as Proxmox's `local` (/var/lib/vz). */
  DIRECTORY = 'dir',
  /** An LVM thin pool (`lvmthin`), such as Proxmox's `local-lvm`. */
  LVM_THIN = 'lvmthin',
}

/**
 * Who declares a storage the library manages on its Proxmox host, decided per storage type
 * (the reasons are in README's "Proxmox storages" and beside the table in this file).
 */
export enum StorageDeclaration {
  /**
   * The host's Terraform stack, as a `proxmox_storage_*` resource of bpg/proxmox: in Proxmox's
   * storage configuration (Datacenter → Storage) under Terraform's plan, a dependency of the VMs
   * and downloads that use it.
   */
  TERRAFORM = 'terraform',
  /** A oneshot service of the host's NixOS configuration that adds or updates it with `pvesm`. */
  PVESM = 'pvesm',
  /** Nobody: the storage exists and is managed outside the model (`StorageBacking.existing`). */
  NONE = 'none',
}

/**
 * Who declares a managed storage of each type, and why:
 * - `zfspool` and `lvmthin`: Terraform (bpg/proxmox v0.111.1's `proxmox_storage_zfspool` and
 *   `proxmox_storage_lvmthin`, fwprovider/storage/resource_zfs.go and resource_lvm_thin.go, on the
 *   generic create/read/update/delete of fwprovider/storage/resource_generic.go). The pool or
 *   volume group is the host's (NixOS makes the ZFS pool and datasets before any apply), the
 *   storage entry is Proxmox's: as a resource, a change made in the UI shows in the next plan,
 *   the VMs whose disks are on it depend on it (a fresh host gets the storage before the first
 *   disk), and it is removed when the model drops it (Proxmox removes only the entry, never the
 *   pool's data). `shared` is computed `false` for both types, `nodes` is set to the node.
 * - `dir`: pvesm on the host. Proxmox defines the directory storage `local` (/var/lib/vz) on
 *   every node itself, even with no storage.cfg (PVE::Storage::Plugin's parse_config), so a
 *   Terraform resource for it could never be created, only imported, on every host; the pvesm
 *   script adds a missing storage and updates an existing one without having to know which.
 *   bpg's `proxmox_storage_directory` also defaults `shared` to true (resource_directory.go at
 *   v0.111.1), which would tell a cluster that a node's local directory is on every node.
 */
const DECLARED_BY: Record<StorageType, StorageDeclaration> = {
  [StorageType.ZFS_POOL]: StorageDeclaration.TERRAFORM,
  [StorageType.LVM_THIN]: StorageDeclaration.TERRAFORM,
  [StorageType.DIRECTORY]: StorageDeclaration.PVESM,
};

/**
 * A ZFS pool or dataset that backs a Proxmox storage: a `ZfsPool` or `ZfsDataset` of the
 * storage part of the library.
 */
export type IZfsStorageBacking = IZfsStorage;

/** Options of {@link StorageBacking.zfs}. */
export interface ZfsBackingOptions {
  /**
   * Thin-provision the zvols of VM disks (`sparse`).
   * @default true
   */
  readonly sparse?: boolean;
}

/** Props of {@link StorageBacking.lvmThin}. */
export interface LvmThinBackingProps {
  /** The LVM volume group (`pve`). */
  readonly volumeGroup: string;
  /** The thin pool in it (`data`). */
  readonly thinPool: string;
}

/** The details of a `zfspool` storage the library declares ({@link StorageBacking.zfs}). */
export interface ZfsBackingDetails {
  /** The Proxmox storage type. */
  readonly type: StorageType.ZFS_POOL;
  /** The library declares the storage. */
  readonly managed: true;
  /** The ZFS pool or dataset. */
  readonly zfs: IZfsStorageBacking;
  /** Are the zvols thin-provisioned (`--sparse`)? */
  readonly sparse: boolean;
}

/** The details of a `dir` storage the library declares ({@link StorageBacking.directory}). */
export interface DirectoryBackingDetails {
  /** The Proxmox storage type. */
  readonly type: StorageType.DIRECTORY;
  /** The library declares the storage. */
  readonly managed: true;
  /** The directory (`/var/lib/vz`). */
  readonly path: string;
  /** Did the user say whether the path is a mount point ({@link DirectoryBackingOptions.isMountpoint})? */
  readonly isMountpoint?: boolean;
}

/** The details of an `lvmthin` storage the library declares ({@link StorageBacking.lvmThin}). */
export interface LvmThinBackingDetails {
  /** The Proxmox storage type. */
  readonly type: StorageType.LVM_THIN;
  /** The library declares the storage. */
  readonly managed: true;
  /** The LVM volume group (`pve`). */
  readonly volumeGroup: string;
  /** The thin pool in that volume group (`data`). */
  readonly thinPool: string;
}

/** The details of a storage managed outside the model ({@link StorageBacking.existing}): its type only. */
export interface ExistingBackingDetails {
  /** The Proxmox storage type. */
  readonly type: StorageType;
  /** The library does not declare the storage. */
  readonly managed: false;
}

/**
 * What a storage backing needs: narrow on `managed`, then on `type`, to read a backing's fields
 * (an existing storage has every type, so `type` alone does not tell it from a managed one).
 */
export type StorageBackingDetails = ZfsBackingDetails | DirectoryBackingDetails | LvmThinBackingDetails | ExistingBackingDetails;

/** Options of {@link StorageBacking.directory}. */
export interface DirectoryBackingOptions {
  /**
   * Is the directory a mount point that Proxmox must find mounted before it uses the storage
   * (`is_mountpoint yes`)? PVE::Storage::DirPlugin then considers the storage offline while
   * nothing is mounted there, instead of letting vzdump and uploads write into the empty
   * directory on the root file system (where the data hides once the file system mounts).
   * @default - true when the path is the mountpoint of a ZFS pool or dataset of the storage's
   * host (e.g. the backups storage on tank/vzdump), else false
   */
  readonly isMountpoint?: boolean;
}

/** What a Proxmox storage lives on. Construct with one of the static factories. */
export class StorageBacking {
  /** A ZFS pool or dataset of the lab (type `zfspool`). */
  public static zfs(backing: IZfsStorageBacking, options: ZfsBackingOptions = {}): StorageBacking {
    return new StorageBacking({ type: StorageType.ZFS_POOL, managed: true, zfs: backing, sparse: options.sparse ?? true });
  }

  /** A directory on the host (type `dir`), e.g. `/var/lib/vz` for Proxmox's `local`. */
  public static directory(path: string, options: DirectoryBackingOptions = {}): StorageBacking {
    return new StorageBacking({ type: StorageType.DIRECTORY, managed: true, path, isMountpoint: options.isMountpoint });
  }

  /** An LVM thin pool (type `lvmthin`), e.g. volume group `pve`, pool `data` for `local-lvm`. */
  public static lvmThin(props: LvmThinBackingProps): StorageBacking {
    return new StorageBacking({ type: StorageType.LVM_THIN, managed: true, volumeGroup: props.volumeGroup, thinPool: props.thinPool });
  }

  /**
   * A storage that exists on the Proxmox host already and is managed outside the model: the
   * library refers to it by id and does not declare it on the host.
   */
  public static existing(type: StorageType): StorageBacking {
    return new StorageBacking({ type, managed: false });
  }

  private constructor(
    /** The type's details, with the type and whether the library declares the storage. */
    public readonly details: StorageBackingDetails,
  ) {}

  /** The Proxmox storage type. */
  public get type(): StorageType {
    return this.details.type;
  }

  /** Whether the library declares the storage (see {@link StorageDeclaration}). */
  public get managed(): boolean {
    return this.details.managed;
  }
}

/** Props of {@link ProxmoxStorage}. */
export interface ProxmoxStorageProps {
  /** What the storage lives on. */
  readonly backing: StorageBacking;
  /**
   * The Proxmox storage id (`datastore_id` in Terraform).
   * @default - the ZFS backing's storageId, else the construct id
   */
  readonly storageId?: string;
  /**
   * What the storage holds.
   * @default - by type: VM disks and container volumes for ZFS and LVM thin; for a directory
   *   also ISO images, disk images to import, snippets, backups and container templates
   */
  readonly content?: StorageContent[];
  /**
   * The storage is defined on the host already (by hand, by pvesm, by an earlier tool) and
   * Terraform declares it (a ZFS or LVM thin storage): the stack imports it by its id instead of
   * creating it, which Proxmox would refuse ("storage ID already defined"). Leave it out for a
   * storage the first apply creates: an import of a storage that does not exist fails the plan.
   * @default false
   */
  readonly adopt?: boolean;
}

/** The ZFS pool or dataset of a `zfspool` backing the library declares, else undefined. */
function zfsOf(backing: StorageBacking): IZfsStorageBacking | undefined {
  const d = backing.details;
  return d.managed && d.type === StorageType.ZFS_POOL ? d.zfs : undefined;
}

const PROXMOX_STORAGE = Kind.named<ProxmoxStorage>('ProxmoxStorage');

/** Content each storage type can hold at all (Proxmox's storage plugins). */
const SUPPORTED_CONTENT: Record<StorageType, readonly StorageContent[]> = {
  [StorageType.ZFS_POOL]: [StorageContent.IMAGES, StorageContent.ROOTDIR],
  [StorageType.LVM_THIN]: [StorageContent.IMAGES, StorageContent.ROOTDIR],
  [StorageType.DIRECTORY]: Object.values(StorageContent),
};

/** Proxmox's storage id syntax (`pve-storage-id`). */
/** The storage types that every node of a cluster reaches (NFS, CIFS, Ceph RBD would be). */
const SHARED_STORAGE_TYPES: ReadonlySet<StorageType> = new Set<StorageType>();

const STORAGE_ID = /^[a-z][a-z0-9._-]*[a-z0-9]$/;

/**
 * A Proxmox storage on a Proxmox host: where VM disks, ISO images and snippets go. VM disks,
 * EFI disks, TPM states and images refer to the construct, never to a storage id string. The
 * Nix projection declares the managed ones on the host; Terraform writes their ids.
 */
export class ProxmoxStorage extends Construct {
  /** Is `x` a ProxmoxStorage (of any copy of this library)? */
  public static isProxmoxStorage(x: unknown): x is ProxmoxStorage {
    return PROXMOX_STORAGE.is(x);
  }

  /** The storage id. */
  public readonly storageId: string;
  /** What it lives on. */
  public readonly backing: StorageBacking;
  /** What it holds, in the order given (or the type's default order). */
  public readonly content: readonly StorageContent[];
  /** The Proxmox host it is on. */
  public readonly proxmoxHost: ProxmoxHost;
  /** Does Terraform import the storage (it exists already) rather than create it? */
  public readonly adopt: boolean;

  private readonly explicitStorageId?: string;

  public constructor(scope: ProxmoxHost, id: string, props: ProxmoxStorageProps) {
    super(scope, claimId(scope, id));
    checkProps(this, 'ProxmoxStorageProps', props);
    PROXMOX_STORAGE.mark(this);
    this.proxmoxHost = scope;
    this.backing = props.backing;
    this.storageId = props.storageId ?? zfsOf(props.backing)?.storageId ?? id;
    this.content = [...(props.content ?? defaultContent(props.backing.type))];
    this.adopt = props.adopt ?? false;
    this.explicitStorageId = props.storageId;
    const zfs = zfsOf(props.backing);
    if (zfs && ZFS_STORAGE.is(zfs) && (this.holds(StorageContent.IMAGES) || this.holds(StorageContent.ROOTDIR))) {
      // Proxmox creates the VM disks (zvols) and container volumes as children of the backing.
      addVolumeUse(zfs, { by: this, description: `the Proxmox storage ${this.storageId}`, zvols: this.holds(StorageContent.IMAGES) });
    }
    this.node.addValidation({ validate: () => this.validateStorage() });
  }

  /** The storage type. */
  public get type(): StorageType {
    return this.backing.type;
  }

  /**
   * Whether every node of a Proxmox cluster reaches the storage (what Proxmox needs to clone or
   * migrate a VM's disks onto another node). None of the types the library models is by itself:
   * a ZFS pool, a directory and an LVM thin pool are local to their node, unless the host's
   * cluster lists the storage in its `sharedStorages` (a directory on an NFS or CephFS mount).
   */
  public get shared(): boolean {
    return SHARED_STORAGE_TYPES.has(this.type) || (this.proxmoxHost.cluster?.sharesStorage(this) ?? false);
  }

  /**
   * Must Proxmox find the directory storage's path mounted (`is_mountpoint`)? As stated with
   * {@link DirectoryBackingOptions.isMountpoint}, else whether the path is where a ZFS pool or
   * dataset of the host is mounted. Always false for other types.
   */
  public get isMountpoint(): boolean {
    const d = this.backing.details;
    if (!d.managed || d.type !== StorageType.DIRECTORY) {
      return false;
    }
    return d.isMountpoint ?? ZfsPool.onHost(this.proxmoxHost.host).some((pool) => pool.allDatasets.some((ds) => ds.effectiveMountpoint === d.path));
  }

  /**
   * The nodes of the storage's entry in storage.cfg (its `nodes`). Proxmox keeps one storage.cfg
   * for a whole cluster, so storages of one id on several members are one entry that lists
   * them all (each member's `tank`, say); on a separate host, the entry is its own node only.
   * Sorted by node name.
   */
  public get nodeNames(): string[] {
    const cluster = this.proxmoxHost.cluster;
    if (cluster === undefined) {
      return [this.proxmoxHost.nodeName];
    }
    return cluster.members
      .filter((m) => m.storages.some((s) => s.storageId === this.storageId))
      .map((m) => m.nodeName)
      .sort(compareText);
  }

  /**
   * What makes two storages of one id the same storage.cfg entry: the type, where it lives and
   * what it holds (the node list aside).
   */
  public get definition(): string {
    const d = this.backing.details;
    // Where it lives, by type (an existing storage: nothing the model knows).
    const where = !d.managed ? [] : d.type === StorageType.ZFS_POOL ? [d.zfs.datasetName, d.sparse] : d.type === StorageType.DIRECTORY ? [d.path] : [d.volumeGroup, d.thinPool];
    return JSON.stringify([this.type, ...where, [...this.content].sort()]);
  }

  /** Who declares the storage on its host: Terraform, the pvesm service, or nobody. */
  public get declaredBy(): StorageDeclaration {
    return this.backing.managed ? DECLARED_BY[this.type] : StorageDeclaration.NONE;
  }

  /** Can the storage hold this content? */
  public holds(content: StorageContent): boolean {
    return this.content.includes(content);
  }

  /**
   * Adds an ISO or disk image on this storage: downloaded by Terraform from a URL, or a file
   * that is already there.
   */
  public addImage(id: string, props: VmImageProps): VmImage {
    return new VmImage(this, id, props);
  }

  private validateStorage(): string[] {
    const errors: string[] = [];
    if (!STORAGE_ID.test(this.storageId)) {
      errors.push(problem(`storage id "${this.storageId}" is not a Proxmox storage id`, 'use lower-case letters, digits, "-", "_" and ".", starting with a letter, such as "tank"'));
    }
    const duplicate = this.proxmoxHost.storages.find((s) => s !== this && s.storageId === this.storageId);
    if (duplicate && this.proxmoxHost.storages.indexOf(duplicate) < this.proxmoxHost.storages.indexOf(this)) {
      errors.push(problem(`storage id ${this.storageId} is also the id of ${displayPath(duplicate)}`, 'give each storage of a host its own id'));
    }
    const unsupported = this.content.filter((c) => !SUPPORTED_CONTENT[this.type].includes(c));
    if (unsupported.length > 0) {
      errors.push(
        problem(
          `a ${this.type} storage cannot hold ${unsupported.join(', ')}`,
          `keep ${unsupported.join(', ')} on a directory storage (such as "local"); a ${this.type} storage holds only ${SUPPORTED_CONTENT[this.type].join(', ')}`,
        ),
      );
    }
    if (new Set(this.content).size !== this.content.length) {
      errors.push(problem('content lists a kind twice', 'list each kind once'));
    }
    if (this.content.length === 0) {
      errors.push(problem('the storage holds nothing (empty content)', 'give it content, such as StorageContent.IMAGES'));
    }
    if (this.adopt && this.declaredBy !== StorageDeclaration.TERRAFORM) {
      errors.push(
        problem(
          this.declaredBy === StorageDeclaration.PVESM
            ? `adopt is set, but a ${this.type} storage is declared by pvesm on the host, which updates an existing one anyway`
            : 'adopt is set, but the storage is managed outside the model (StorageBacking.existing), so nothing imports it',
          'leave adopt out',
        ),
      );
    }
    if (!this.backing.managed && this.type === StorageType.ZFS_POOL) {
      // A host's ZFS pools are the model's (created once, imported by NixOS), so a ZFS storage
      // that no pool or dataset of the host backs names a pool the lab does not have.
      const ids = ZfsPool.onHost(this.proxmoxHost.host).flatMap((pool) => pool.allDatasets.map((ds) => ds.storageId));
      const fix = ids.includes(this.storageId)
        ? `back it with StorageBacking.zfs(…) of the pool or dataset whose storage id is ${this.storageId}, so that the model declares it`
        : `back it with StorageBacking.zfs(…) of one of ${this.proxmoxHost.host.hostName}'s pools or datasets, or check the id against pvesm status`;
      Annotations.of(this).addWarning(
        problem(`${this.storageId} is an existing ZFS storage: nothing checks that the host has it, and Proxmox refuses every disk on a storage it does not have`, fix),
        'homelab-cdk:existing-zfs-storage',
      );
    }
    const zfs = zfsOf(this.backing);
    if (zfs) {
      const backingPath = zfs.node.path;
      if (zfs.host !== this.proxmoxHost.host) {
        errors.push(
          problem(
            `the ZFS backing ${backingPath} is a pool of ${zfs.host.hostName}, not of ${this.proxmoxHost.host.hostName}`,
            `back the storage with a pool or dataset of ${this.proxmoxHost.host.hostName}`,
          ),
        );
      } else if (zfs.node.root !== this.node.root) {
        errors.push(problem(`the ZFS backing ${backingPath} belongs to another lab`, 'back the storage with a pool or dataset of this lab'));
      }
      if (this.explicitStorageId === undefined && zfs.storageId !== this.node.id) {
        // The id comes from the backing, so `addStorage('bulk', zfs(bulkVms))` would silently be
        // the storage "bulk-vms" that the VM disks and Terraform then name.
        errors.push(
          problem(
            `the storage is called "${this.node.id}" here, but its ZFS backing ${backingPath} backs the storage "${zfs.storageId}", which is the id Proxmox gets`,
            `call it "${zfs.storageId}" (addStorage('${zfs.storageId}', …)), or give ${backingPath} storageId: '${this.node.id}'`,
          ),
        );
      } else if (zfs.storageId !== this.storageId) {
        errors.push(problem(`the ZFS backing ${backingPath} backs the storage "${zfs.storageId}", not "${this.storageId}"`, 'leave storageId out to use the backing\'s id'));
      }
    }
    const d = this.backing.details;
    if (d.managed && d.type === StorageType.DIRECTORY && (!/^\/[A-Za-z0-9._/-]*$/.test(d.path) || d.path.split('/').some((s) => s === '..' || s === '.'))) {
      errors.push(problem(`directory "${d.path}" is not an absolute path of plain segments`, 'give an absolute path such as "/var/lib/vz"'));
    }
    const lvmNames = d.managed && d.type === StorageType.LVM_THIN ? ([['volume group', d.volumeGroup], ['thin pool', d.thinPool]] as const) : [];
    for (const [label, name] of lvmNames) {
      if (!/^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(name)) {
        errors.push(problem(`LVM ${label} "${name}" is not an LVM name`, 'use letters, digits, "+", "_", "." and "-"'));
      }
    }
    return errors;
  }
}

/** The content a storage of a type holds unless told otherwise. */
export function defaultContent(type: StorageType): StorageContent[] {
  return type === StorageType.DIRECTORY ? [...SUPPORTED_CONTENT[type]] : [StorageContent.IMAGES, StorageContent.ROOTDIR];
}
