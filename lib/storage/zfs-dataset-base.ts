/**
 * What a pool's root dataset and every other dataset share: properties, child datasets, a
 * Proxmox storage id, snapshot policies and replication.
 */
import { Construct } from 'constructs';
import { Size } from '../core/size';
import { displayPath, perValidationRun, problem } from '../core/validation';
import { Host } from '../hosts/host';
import { SnapshotPolicy } from './snapshot-policy';
import { ReplicationOptions, ZfsReplication } from './zfs-replication';
import { isMountedByNixos, ZfsDatasetOptions } from './zfs-properties';
import { defaultStorageId, isStorageId, isZfsStorage, IZfsStorage, markZfsStorage } from './zfs-storage';
import { claimId } from '../core/problems';
import { recordError } from '../core/problems';

/** Options of {@link ZfsDatasetBase.snapshot}. */
export interface SnapshotOptions {
  /**
   * Apply the policy to the child datasets too: `true` (sanoid snapshots each child on its own)
   * or `"zfs"` (one atomic recursive `zfs snapshot -r`).
   * @default false
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
  private readonly assignments: SnapshotAssignment[] = [];

  protected constructor(scope: Construct, id: string, props: ZfsDatasetBaseProps) {
    super(scope, claimId(scope, id));
    markZfsStorage(this);
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
    return this.node.children.filter(isZfsStorage) as unknown as ZfsDatasetBase[];
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
    this.assignments.push({ policy, recursive: options.recursive ?? false, processChildrenOnly: options.processChildrenOnly ?? false });
  }

  /** The snapshot policies applied to this dataset. */
  public get snapshots(): readonly SnapshotAssignment[] {
    return this.assignments;
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

  /** `special_small_blocks` in effect: its own, else inherited from the pool's special vdev, else 0. */
  public get effectiveSpecialSmallBlocks(): Size {
    return this.options.specialSmallBlocks ?? this.parentDataset?.effectiveSpecialSmallBlocks ?? this.rootSpecialSmallBlocks ?? Size.bytes(0);
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
    if (threshold.isZero() || threshold.compareTo(recordsize) < 0 || !this.poolHasSpecialVdev) {
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
    for (const assignment of this.assignments) {
      const policy = assignment.policy;
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
    return perValidationRun(this, `zfs-storage-ids:${this.host.node.path}`, () => {
      const index = new Map<string, ZfsDatasetBase[]>();
      for (const c of this.host.node.findAll()) {
        if (isZfsStorage(c) && c.host === this.host) {
          const ds = c as ZfsDatasetBase;
          index.set(ds.storageId, [...(index.get(ds.storageId) ?? []), ds]);
        }
      }
      return index;
    });
  }
}
