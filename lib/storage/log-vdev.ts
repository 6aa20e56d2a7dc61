import { StorageDevice } from './disk';
import { IVdevPool, Vdev, VdevLayout, VdevRole } from './vdev';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';

/** Props of {@link LogVdev}. */
export interface LogVdevProps {
  /** The devices: two or more make a mirror. */
  readonly devices: readonly StorageDevice[];
  /**
   * Accept a single-device log vdev in a pool whose data vdevs are redundant: if it fails
   * together with a crash, the last seconds of synchronous writes are lost.
   * @default false
   */
  readonly allowSingleDevice?: boolean;
}

const LOG_VDEV = Kind.named<LogVdev>('LogVdev');

/**
 * A separate intent log (SLOG): synchronous writes are committed here first. It speeds up only
 * synchronous writes (NFS, databases, VM disks with sync). Usually made with `pool.addLogVdev(...)`.
 */
export class LogVdev extends Vdev {
  /** Is `x` a LogVdev (of any copy of this library)? */
  public static isLogVdev(x: unknown): x is LogVdev {
    return LOG_VDEV.is(x);
  }

  public readonly role = VdevRole.LOG;
  /** Is a single device accepted? */
  public readonly allowSingleDevice: boolean;

  public constructor(pool: IVdevPool, id: string, props: LogVdevProps) {
    super(pool, id, props.devices);
    checkProps(this, 'LogVdevProps', props);
    LOG_VDEV.mark(this);
    this.allowSingleDevice = props.allowSingleDevice ?? false;
    this.node.addValidation({ validate: () => this.singleDeviceProblems(this.allowSingleDevice, 'if that one device fails together with a crash, the last synchronous writes are lost') });
  }

  /** A mirror with two or more devices, else a single device. */
  public get layout(): VdevLayout {
    return this.mirrorWhenPossible();
  }
}
