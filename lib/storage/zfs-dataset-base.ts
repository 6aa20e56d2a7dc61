/**
 * What a pool's root dataset and every other dataset share: properties, child datasets, a
 * Proxmox storage id, snapshot policies and replication.
 */
import { Construct } from 'constructs';
import { Size } from '../core/size';
import { displayPath, problem } from '../core/validation';
import { Host } from '../hosts/host';
import { SnapshotPolicy } from './snapshot-policy';
import { ReplicationOptions, ZfsReplication } from './zfs-replication';
import { isMountedByNixos, ZfsDatasetOptions } from './zfs-properties';
import { DEFAULT_VOLBLOCKSIZE, defaultStorageId, isStorageId, ZFS_STORAGE, IZfsStorage, volumeUsesOf, ZfsVolumeUse } from './zfs-storage';
import { claimId, recordError } from '../core/problems';
import { runIndex, runIndexPer } from '../core/kind';

/** Options of {@link ZfsDatasetBase.snapshot}. */
export interface SnapshotOptions {
  /**
   * Apply the policy to the child datasets too: `true` (sanoid snapshots each child on its own)
   * or `"zfs"` (one atomic recursive `zfs snapshot -r`). A dataset that holds volumes (the VM
   * disks of a Proxmox ZFS storage it backs, or replicas of such disks) needs its children: it is
   * `true` there, and `false` is an error.
   * @default - true for a dataset that holds volumes, else false
   */
  readonly recursive?: boolean | 'zfs';
  /**
   * With `recursive`, snapshot only the children, not the dataset itself.
   * @default false
   */
  readonly processChildrenOnly?: boolean;
}

/** Options of {@link ZfsDatasetBase.replicateTo}. */
export interface ReplicateToOptions extends ReplicationOptions {
  /**
   * The name of the copy under the parent.
   * @default - the last segment of this dataset's name (`fast` for the pool `fast`)
   */
  readonly name?: string;
}

/** A snapshot policy applied to a dataset. */
export interface SnapshotAssignment {
  /**
   * The policy, or the name of a sanoid template of the host (for templates named in an existing
   * `sanoid.conf`); a name no {@link SnapshotPolicy} of the host has is a validation error.
   */
  readonly policy: SnapshotPolicy | string;
  /**
   * Whether the policy covers the child datasets too: `true` (sanoid snapshots each child on
   * its own), `"zfs"` (one atomic `zfs snapshot -r`) or `false` (this dataset only).
   */
  readonly recursive: boolean | 'zfs';
  /** With `recursive`, only the children are snapshotted, not the dataset itself. */
  readonly processChildrenOnly: boolean;
}

/** The ZFS default recordsize. */
export const DEFAULT_RECORDSIZE = Size.kibibytes(128);

/** Props shared by pools and datasets. */
export interface ZfsDatasetBaseProps extends ZfsDatasetOptions {
  /**
   * The Proxmox storage id backed by this pool or dataset.
   * @default - the dataset name with "/" replaced by "-" (`tank/vms` → `tank-vms`)
   */
  readonly storageId?: string;
}

/** A pool's root dataset or a dataset under it. */
export abstract class ZfsDatasetBase extends Construct implements IZfsStorage {
  /** The host whose pool holds it. */
  public abstract readonly host: Host;
  /** The full ZFS name. */
  public abstract readonly datasetName: string;
  /** The dataset's own options, as given (not inherited ones). */
  public readonly options: ZfsDatasetOptions;
  private readonly explicitStorageId?: string;
  private readonly assignments: Array<{ readonly policy: SnapshotPolicy | string; readonly options: SnapshotOptions }> = [];

  protected constructor(scope: Construct, id: string, props: ZfsDatasetBaseProps) {
    super(scope, claimId(scope, id));
    ZFS_STORAGE.mark(this);
    const { storageId, ...options } = props;
    this.options = options;
    this.explicitStorageId = storageId;
  }

  /** The Proxmox storage id backed by this pool or dataset. */
  public get storageId(): string {
    return this.explicitStorageId ?? defaultStorageId(this.datasetName);
  }

  /** The dataset it is a child of; undefined for a pool's root dataset. */
  public abstract get parentDataset(): ZfsDatasetBase | undefined;

  /** The value of `special_small_blocks` the pool's root dataset gets (its special vdev's threshold). */
  protected abstract get rootSpecialSmallBlocks(): Size | undefined;

  /** The datasets directly under this one, in the order they were added. */
  public get childDatasets(): ZfsDatasetBase[] {
    // Only datasets are storages among a dataset's children (vdevs and replications are not).
    return this.node.children.filter(ZFS_STORAGE.is) as unknown as ZfsDatasetBase[];
  }

  /** This dataset and every dataset under it, parents before children. */
  public get allDatasets(): ZfsDatasetBase[] {
    return [this, ...this.childDatasets.flatMap((c) => c.allDatasets)];
  }

  /**
   * Applies a snapshot policy (a sanoid template) to the dataset: sanoid takes and prunes its
   * snapshots as the policy says.
   */
  public snapshot(policy: SnapshotPolicy | string, options: SnapshotOptions = {}): void {
    if (options.processChildrenOnly && !options.recursive) {
      recordError(this, problem('processChildrenOnly needs recursive (it snapshots only the children)', 'add recursive: true, or drop processChildrenOnly'));
    }
    this.assignments.push({ policy, options: { ...options } });
  }

  /** The snapshot policies applied to this dataset, defaults applied. */
  public get snapshots(): readonly SnapshotAssignment[] {
    // sanoid's `recursive` (nixpkgs services.sanoid.datasets.<name>.recursive, of type
    // `oneOf [ bool (enum [ "zfs" ]) ]`, default false): true here for a dataset that holds
    // volumes, so that the zvols under it are snapshotted; each child on its own, so that child
    // datasets of the model keep their own policies (which "zfs" would not allow).
    const recursiveByDefault = this.assignments.some((a) => a.options.recursive === undefined) && this.holdsVolumes;
    return this.assignments.map(({ policy, options }) => ({
      policy,
      recursive: options.recursive ?? recursiveByDefault,
      processChildrenOnly: options.processChildrenOnly ?? false,
    }));
  }

  /**
   * What creates volumes under this dataset itself: the Proxmox storages it backs (VM disks are
   * zvols under it), and the replications whose copies of such volumes arrive under it.
   */
  public get volumeUses(): readonly ZfsVolumeUse[] {
    const uses = [...volumeUsesOf(this)];
    for (const r of this.replicationsReceived()) {
      const sources = r.recursive ? r.source.node.findAll().filter(ZFS_STORAGE.is) : [r.source];
      const zvols = sources.some((d) => volumeUsesOf(d).some((u) => u.zvols));
      if (zvols || sources.some((d) => volumeUsesOf(d).length > 0)) {
        uses.push({ by: r, description: `the replication ${r.commandName} (copies of the volumes of ${r.source.datasetName})`, zvols });
      }
    }
    return uses;
  }

  /** Do volumes (zvols of VM disks, container volumes) live under this dataset? */
  public get holdsVolumes(): boolean {
    return this.volumeUses.length > 0;
  }

  /** The replications of the lab whose target is created right under this dataset. */
  private replicationsReceived(): ZfsReplication[] {
    const all = REPLICATIONS.of(this);
    const children = new Set(this.childDatasets.map((c) => c.node.id));
    return all.filter((r) => {
      if (r.targetHost !== this.host || !r.target.startsWith(`${this.datasetName}/`)) {
        return false;
      }
      // the nearest dataset of the model above the target receives it
      return !children.has(r.target.slice(this.datasetName.length + 1).split('/')[0]);
    });
  }

  /**
   * Replicates this pool or dataset with syncoid into `parent` (a pool or dataset of this host or
   * another one): the copy is `<parent>/<name>`, created by syncoid on its first run.
   */
  public replicateTo(parent: IZfsStorage, options: ReplicateToOptions = {}): ZfsReplication {
    const { name, ...rest } = options;
    const target = `${parent.datasetName}/${name ?? this.datasetName.split('/').pop()}`;
    return new ZfsReplication(this, `replicate-to-${defaultStorageId(target)}`, { ...rest, source: this, target, targetHost: parent.host });
  }

  /** The recordsize in effect: its own, else inherited, else ZFS's 128K. */
  public get effectiveRecordsize(): Size {
    return this.options.recordsize ?? this.parentDataset?.effectiveRecordsize ?? DEFAULT_RECORDSIZE;
  }

  /**
   * `special_small_blocks` in effect: its own; else 0 where volumes live under it (zvols inherit
   * it, and since OpenZFS 2.4 their blocks honour it, openzfs/zfs#14876: VM data would fill the
   * special vdev); else what file systems inherit (the pool's special vdev threshold, or 0).
   */
  public get effectiveSpecialSmallBlocks(): Size {
    if (this.options.specialSmallBlocks) {
      return this.options.specialSmallBlocks;
    }
    return this.holdsVolumes && this.poolHasSpecialVdev ? Size.bytes(0) : this.specialSmallBlocksForFiles;
  }

  /** What a file system under this dataset gets: the nearest own value, else the pool's threshold, else 0. */
  private get specialSmallBlocksForFiles(): Size {
    return this.options.specialSmallBlocks ?? this.parentDataset?.specialSmallBlocksForFiles ?? this.rootSpecialSmallBlocks ?? Size.bytes(0);
  }

  /**
   * The ZFS options the dataset is created and set with: its own, and `special_small_blocks`
   * where the model decides it (0 on a dataset that holds volumes, the pool's threshold again on a
   * file system under one).
   */
  public get zfsOptions(): ZfsDatasetOptions {
    const own = this.options.specialSmallBlocks;
    const effective = this.effectiveSpecialSmallBlocks;
    const inherited = this.parentDataset?.effectiveSpecialSmallBlocks ?? Size.bytes(0);
    let specialSmallBlocks: Size | undefined;
    if (own) {
      specialSmallBlocks = own;
    } else if (this.holdsVolumes && !this.specialSmallBlocksForFiles.isZero()) {
      specialSmallBlocks = Size.bytes(0); // stated, though it may be inherited: no zvol under it gets any
    } else if (effective.compareTo(inherited) !== 0) {
      specialSmallBlocks = effective;
    }
    return { ...this.options, specialSmallBlocks };
  }

  /**
   * Where the dataset is mounted: its own mountpoint, else the parent's plus its name (ZFS's
   * rule); `none` when unmounted.
   */
  public get effectiveMountpoint(): string {
    if (this.options.mountpoint !== undefined) {
      return this.options.mountpoint;
    }
    const parent = this.parentDataset;
    if (!parent) {
      return `/${this.datasetName}`;
    }
    const base = parent.effectiveMountpoint;
    if (base === 'none') {
      return 'none';
    }
    return `${base === '/' ? '' : base}/${this.node.id}`;
  }

  /** Is the dataset mounted by NixOS (a path it needs at boot, written as `mountpoint=legacy`)? */
  public get mountedByNixos(): boolean {
    return isMountedByNixos(this.options.mountpoint);
  }

  /** The checks every pool and dataset makes. */
  protected validateDataset(): string[] {
    const errors: string[] = [];
    if (!isStorageId(this.storageId)) {
      errors.push(problem(`storage id "${this.storageId}" is not a Proxmox storage id`, 'use a letter, then letters, digits, "-", "_" or ".", ending with a letter or digit (set storageId)'));
    } else {
      const first = this.storageIdsOfHost().get(this.storageId)?.[0];
      if (first && first !== this) {
        errors.push(problem(`storage id ${this.storageId} is also the storage id of ${displayPath(first)}`, 'give one of them another storageId'));
      }
    }
    errors.push(...this.validateSpecialSmallBlocks());
    errors.push(...this.validateSnapshots());
    return errors;
  }

  private validateSpecialSmallBlocks(): string[] {
    const threshold = this.effectiveSpecialSmallBlocks;
    const recordsize = this.effectiveRecordsize;
    if (threshold.isZero() || !this.poolHasSpecialVdev) {
      return [];
    }
    const zvols = this.volumeUses.find((u) => u.zvols);
    if (zvols && threshold.compareTo(DEFAULT_VOLBLOCKSIZE) >= 0) {
      return [
        problem(
          `special_small_blocks (${threshold}) of ${this.datasetName} is not below the volblocksize (${DEFAULT_VOLBLOCKSIZE}) of the zvols ${zvols.description} creates under it, so every VM block would land on the special vdev and fill it`,
          `leave specialSmallBlocks out (0 where zvols live), or set it below ${DEFAULT_VOLBLOCKSIZE}`,
        ),
      ];
    }
    if (threshold.compareTo(recordsize) < 0) {
      return [];
    }
    return [
      problem(
        `special_small_blocks (${threshold}) is not below the recordsize (${recordsize}) of ${this.datasetName}, so every block of it would land on the special vdev and fill it`,
        `give ${this.datasetName} a recordsize above ${threshold}, or set its specialSmallBlocks below ${recordsize} (Size.bytes(0) keeps only metadata there)`,
      ),
    ];
  }

  /** Does the dataset's pool have a special vdev? */
  public abstract get poolHasSpecialVdev(): boolean;

  private validateSnapshots(): string[] {
    const errors: string[] = [];
    const policies = SnapshotPolicy.onHost(this.host);
    const uses = this.volumeUses;
    for (const { policy, options } of this.assignments) {
      if (options.recursive === false && uses.length > 0) {
        errors.push(
          problem(
            `${this.datasetName} holds volumes of ${uses[0].description} as its children, but its snapshot policy ${typeof policy === 'string' ? policy : policy.templateName} has recursive: false, so sanoid snapshots only the dataset and none of them`,
            'leave recursive out (true for a dataset that holds volumes), or set recursive: "zfs" for one atomic snapshot of all of them',
          ),
        );
      }
      if (typeof policy === 'string') {
        if (!policies.some((p) => p.templateName === policy)) {
          const known = policies.map((p) => p.templateName);
          errors.push(
            problem(
              `${this.datasetName} uses the snapshot template "${policy}", which ${this.host.hostName} does not define`,
              `define it with new SnapshotPolicy(host, '${policy}', { … })${known.length ? `, or use one of ${known.join(', ')}` : ''}`,
            ),
          );
        }
      } else if (policy.host !== this.host) {
        errors.push(
          problem(
            `${this.datasetName} uses the snapshot template ${policy.templateName} of ${policy.host.hostName}, but its sanoid runs on ${this.host.hostName}`,
            `define the policy on ${this.host.hostName} (new SnapshotPolicy(${this.host.hostName}, …))`,
          ),
        );
      }
    }
    return errors;
  }

  private storageIdsOfHost(): Map<string, ZfsDatasetBase[]> {
    return STORAGE_IDS_OF_HOST(this.host);
  }
}

/** Every replication of the lab, once per validation run. */
const REPLICATIONS = runIndex((root) => root.node.findAll().filter(ZfsReplication.isZfsReplication));

/** The pools and datasets of each host by storage id, once per validation run. */
const STORAGE_IDS_OF_HOST = runIndexPer((host: Host) => {
  const index = new Map<string, ZfsDatasetBase[]>();
  for (const c of host.node.findAll()) {
    if (ZFS_STORAGE.is(c) && c.host === host) {
      const ds = c as ZfsDatasetBase;
      index.set(ds.storageId, [...(index.get(ds.storageId) ?? []), ds]);
    }
  }
  return index;
});
