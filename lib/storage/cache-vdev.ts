import { Annotations, problem } from '../core/validation';
import { StorageDevice } from './disk';
import { IVdevPool, Vdev, VdevLayout, VdevRole } from './vdev';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';

/** Props of {@link CacheVdev}. */
export interface CacheVdevProps {
  /** The cache devices; ZFS stripes them (a cache cannot be mirrored). */
  readonly devices: readonly StorageDevice[];
}

const CACHE_VDEV = Kind.named<CacheVdev>('CacheVdev');

/**
 * The L2ARC: a second-level read cache on fast devices, striped over them. Losing a cache device
 * loses only cached copies. Usually made with `pool.addCacheVdev(...)`.
 */
export class CacheVdev extends Vdev {
  /** Is `x` a CacheVdev (of any copy of this library)? */
  public static isCacheVdev(x: unknown): x is CacheVdev {
    return CACHE_VDEV.is(x);
  }

  public readonly role = VdevRole.CACHE;
  public readonly layout = VdevLayout.STRIPE;

  public constructor(pool: IVdevPool, id: string, props: CacheVdevProps) {
    super(pool, id, props.devices);
    checkProps(this, 'CacheVdevProps', props);
    CACHE_VDEV.mark(this);
    this.node.addValidation({
      validate: () => {
        Annotations.of(this).addWarning(
          problem(
            `the L2ARC is not mirrored (ZFS stripes cache devices); losing a cache device loses only cached copies, never data`,
            'nothing to do: this is how L2ARC works (said once per pool); acknowledge it to silence it',
          ),
          'homelab-cdk:l2arc-unmirrored',
        );
        return [];
      },
    });
  }
}
