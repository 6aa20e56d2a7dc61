import { StorageDevice } from './disk';
import { IVdevPool, Vdev, VdevLayout, VdevRole } from './vdev';
import { recordError } from '../core/problems';
import { quoted } from '../core/readable';
import { problem } from '../core/validation';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';

/** Props of {@link DataVdev}. */
export interface DataVdevProps {
  /** How the devices are combined: raidz1/2/3, mirror, or stripe (no redundancy). */
  readonly layout: VdevLayout;
  /** The disks or partitions, named by `/dev/disk/by-id/`. */
  readonly devices: readonly StorageDevice[];
}

const DATA_VDEV = Kind.named<DataVdev>('DataVdev');

/**
 * A data vdev: where the pool's data lives. A pool stripes its data vdevs, so losing any one of
 * them loses the pool. Usually made with `pool.addDataVdev(...)`.
 */
export class DataVdev extends Vdev {
  /** Is `x` a DataVdev (of any copy of this library)? */
  public static isDataVdev(x: unknown): x is DataVdev {
    return DATA_VDEV.is(x);
  }

  public readonly role = VdevRole.DATA;
  public readonly layout: VdevLayout;

  public constructor(pool: IVdevPool, id: string, props: DataVdevProps) {
    super(pool, id, props.devices);
    checkProps(this, 'DataVdevProps', props);
    DATA_VDEV.mark(this);
    if (!Object.values(VdevLayout).includes(props.layout)) {
      recordError(this, problem(`layout ${quoted(props.layout)} is not a vdev layout`, `use one of VdevLayout's: ${Object.values(VdevLayout).join(', ')}`));
    }
    this.layout = props.layout;
  }
}
