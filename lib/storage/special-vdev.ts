import { Size } from '../core/size';
import { Annotations, problem } from '../core/validation';
import { specialVdevAdvice } from './capacity';
import { StorageDevice } from './disk';
import { IVdevPool, Vdev, VdevLayout, VdevRole } from './vdev';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';

/** Props of {@link SpecialVdev}. */
export interface SpecialVdevProps {
  /** The devices: two or more make a mirror. */
  readonly devices: readonly StorageDevice[];
  /**
   * `special_small_blocks` of the pool's root dataset (inherited by its datasets): blocks up to
   * this size are stored on the special vdev besides the metadata. Keep it below every
   * dataset's recordsize. Datasets that hold zvols (a Proxmox ZFS storage's) get 0 instead, and
   * the file systems under them this threshold again.
   * @default - none: only metadata goes to the special vdev
   */
  readonly smallBlocks?: Size;
  /**
   * Accept a single-device special vdev in a pool whose data vdevs are redundant. The pool is
   * lost with that one device.
   * @default false
   */
  readonly allowSingleDevice?: boolean;
}

const SPECIAL_VDEV = Kind.named<SpecialVdev>('SpecialVdev');

/**
 * The special allocation class: the pool's metadata and, with `smallBlocks`, its small blocks,
 * on fast devices. Losing it loses the pool, so it is mirrored; when it is full, new metadata
 * spills onto the data vdevs and the pool slows down. Usually made with `pool.addSpecialVdev(...)`.
 */
export class SpecialVdev extends Vdev {
  /** Is `x` a SpecialVdev (of any copy of this library)? */
  public static isSpecialVdev(x: unknown): x is SpecialVdev {
    return SPECIAL_VDEV.is(x);
  }

  public readonly role = VdevRole.SPECIAL;
  /** The small-blocks threshold, when set. */
  public readonly smallBlocks?: Size;
  /** Is a single device accepted? */
  public readonly allowSingleDevice: boolean;

  public constructor(pool: IVdevPool, id: string, props: SpecialVdevProps) {
    super(pool, id, props.devices);
    checkProps(this, 'SpecialVdevProps', props);
    SPECIAL_VDEV.mark(this);
    this.smallBlocks = props.smallBlocks;
    this.allowSingleDevice = props.allowSingleDevice ?? false;
    this.node.addValidation({
      validate: () => {
        const errors = this.singleDeviceProblems(this.allowSingleDevice, 'a single device makes the pool depend on it: losing it loses the whole pool');
        const advice = specialVdevAdvice(this.pool);
        if (advice) {
          Annotations.of(this).addWarning(
            problem(advice, 'give the special vdev more space (larger partitions) before the pool fills, or lower smallBlocks'),
            'homelab-cdk:special-vdev-small',
          );
        }
        return errors;
      },
    });
  }

  /** A mirror with two or more devices, else a single device. */
  public get layout(): VdevLayout {
    return this.mirrorWhenPossible();
  }
}
