import { Size } from '../core/size';
import { problem } from '../core/validation';
import { Host } from '../hosts/host';
import { ZfsDatasetBase, ZfsDatasetBaseProps } from './zfs-dataset-base';
import { datasetOptionProblems, isDatasetSegment } from './zfs-properties';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';

/** Props of {@link ZfsDataset}: its ZFS properties and Proxmox storage id. */
export interface ZfsDatasetProps extends ZfsDatasetBaseProps {}

const ZFS_DATASET = Kind.named<ZfsDataset>('ZfsDataset');

/**
 * A ZFS file system under a pool or another dataset; its name is the construct id
 * (`tank.addDataset('vms').addDataset('my-app')` is `tank/vms/my-app`). Created with the pool
 * (disko, `scripts/create-pools-<host>.sh`), snapshotted by sanoid, replicated by syncoid, and
 * usable as a Proxmox storage.
 */
export class ZfsDataset extends ZfsDatasetBase {
  /** Is `x` a ZfsDataset (of any copy of this library)? */
  public static isZfsDataset(x: unknown): x is ZfsDataset {
    return ZFS_DATASET.is(x);
  }

  /** The dataset (or pool root dataset) this one is under. */
  public readonly parentDataset: ZfsDatasetBase;

  public constructor(parent: ZfsDatasetBase, name: string, props: ZfsDatasetProps = {}) {
    super(parent, name, props);
    checkProps(this, 'ZfsDatasetProps', props);
    ZFS_DATASET.mark(this);
    this.parentDataset = parent;
    this.node.addValidation({ validate: () => this.validateOwn() });
  }

  /** The host of its pool. */
  public get host(): Host {
    return this.parentDataset.host;
  }

  /** The full ZFS name (`tank/vms/my-app`). */
  public get datasetName(): string {
    return `${this.parentDataset.datasetName}/${this.node.id}`;
  }

  /** The dataset's last name segment (`my-app`). */
  public get name(): string {
    return this.node.id;
  }

  protected get rootSpecialSmallBlocks(): Size | undefined {
    return undefined;
  }

  /** Does its pool have a special vdev? */
  public get poolHasSpecialVdev(): boolean {
    return this.parentDataset.poolHasSpecialVdev;
  }

  /** Adds a dataset under this one. */
  public addDataset(name: string, props: ZfsDatasetProps = {}): ZfsDataset {
    return new ZfsDataset(this, name, props);
  }

  private validateOwn(): string[] {
    const errors: string[] = [];
    if (!isDatasetSegment(this.node.id)) {
      errors.push(problem(`dataset name "${this.node.id}" is not one ZFS name segment`, 'use letters, digits, "_", "-", "." and ":" (no "/": nest datasets with addDataset)'));
    }
    errors.push(...datasetOptionProblems(this.options).map((p) => problem(p, `correct the options of ${this.datasetName}`)));
    errors.push(...this.validateDataset());
    return errors;
  }
}
