/**
 * Derived facts about pools: usable capacity (raidz parity and mirrors taken off), the special
 * vdev's size against the data, and a one-line summary for synth's report. Pure functions of
 * the model; sizes are raw, before ZFS's own overhead (slop space, raidz padding, metadata).
 */
import { IConstruct } from 'constructs';
import { Size } from '../core/size';
import { StorageDevice } from './disk';
import { parityDevices, Vdev, VdevLayout, VdevRole } from './vdev';

/** How large a special vdev should be, as shares of the pool's usable data capacity. */
export interface SpecialVdevRule {
  /** The share metadata alone takes (0.003 is 0.3 %). */
  readonly metadataShare: number;
  /** The share to plan when small blocks go there too (`special_small_blocks`). */
  readonly smallBlocksShare: number;
}

/**
 * The rule of thumb for special vdevs: metadata takes about 0.3 % of the data; when small
 * blocks go there too (special_small_blocks), plan at least 2 %.
 */
export const SPECIAL_VDEV_RULE: SpecialVdevRule = { metadataShare: 0.003, smallBlocksShare: 0.02 };

/** The size of a disk or partition. */
export function deviceCapacity(device: StorageDevice): Size {
  return device.size;
}

/**
 * The usable capacity of one vdev: raidzN keeps (n − N) × the smallest device, a mirror the
 * smallest device, a stripe the sum.
 */
export function vdevCapacity(vdev: Vdev): Size {
  const sizes = vdev.devices.map(deviceCapacity);
  if (sizes.length === 0) {
    return Size.bytes(0);
  }
  const smallest = sizes.reduce((a, b) => (a.compareTo(b) <= 0 ? a : b));
  switch (vdev.layout) {
    case VdevLayout.STRIPE:
      return sizes.reduce((a, b) => a.plus(b));
    case VdevLayout.MIRROR:
      return smallest;
    default:
      return smallest.times(Math.max(0, sizes.length - parityDevices(vdev.layout)));
  }
}

/** The vdevs of a pool with a role, in the order they were added. */
export function vdevsOf(pool: IConstruct, role: VdevRole): Vdev[] {
  return pool.node.children.filter(Vdev.isVdev).filter((v) => v.role === role);
}

/** The usable capacity of a pool: the sum over its data vdevs. */
export function usableCapacity(pool: IConstruct): Size {
  return sum(vdevsOf(pool, VdevRole.DATA).map(vdevCapacity));
}

/** The capacity of a pool's special vdevs. */
export function specialCapacity(pool: IConstruct): Size {
  return sum(vdevsOf(pool, VdevRole.SPECIAL).map(vdevCapacity));
}

/** The special vdevs' capacity as a share of the usable data capacity (0.033 = 3.3 %), if both exist. */
export function specialShare(pool: IConstruct): number | undefined {
  const data = usableCapacity(pool);
  const special = specialCapacity(pool);
  if (data.isZero() || special.isZero()) {
    return undefined;
  }
  return special.toBytes() / data.toBytes();
}

/** The smallest special vdev the rule of thumb ({@link SPECIAL_VDEV_RULE}) asks for. */
export function recommendedSpecialCapacity(pool: IConstruct, smallBlocks: boolean): Size {
  return usableCapacity(pool).times(smallBlocks ? SPECIAL_VDEV_RULE.smallBlocksShare : SPECIAL_VDEV_RULE.metadataShare);
}

/** A sentence when the special vdev is small for its pool by the rule of thumb; undefined otherwise. */
export function specialVdevAdvice(pool: IConstruct): string | undefined {
  const share = specialShare(pool);
  if (share === undefined) {
    return undefined;
  }
  const smallBlocks = vdevsOf(pool, VdevRole.SPECIAL).some((v) => !((v as unknown as { smallBlocks?: Size }).smallBlocks?.isZero() ?? true));
  const wanted = smallBlocks ? SPECIAL_VDEV_RULE.smallBlocksShare : SPECIAL_VDEV_RULE.metadataShare;
  if (share >= wanted) {
    return undefined;
  }
  const rule = smallBlocks
    ? `with special_small_blocks set, plan at least ${percent(wanted)} of the data`
    : `metadata alone takes about ${percent(wanted)} of the data`;
  return (
    `the special vdev (${specialCapacity(pool)}) is ${percent(share)} of the data capacity (${usableCapacity(pool)}), ` +
    `below the rule of thumb (${rule}: ${recommendedSpecialCapacity(pool, smallBlocks)}); a full special vdev spills metadata onto the data disks and slows the pool`
  );
}

/** One line about a pool for summaries: layout, usable capacity, special, log and cache. */
export function poolSummary(pool: IConstruct & { readonly poolName: string }): string {
  const describe = (v: Vdev) => `${v.layout === VdevLayout.STRIPE && v.devices.length === 1 ? 'single' : v.layout} ${v.devices.length} × ${commonSize(v)}`;
  const parts = [`${pool.poolName}: ${vdevsOf(pool, VdevRole.DATA).map(describe).join(' + ') || 'no data vdevs'} → ${usableCapacity(pool)} usable`];
  const special = vdevsOf(pool, VdevRole.SPECIAL);
  if (special.length) {
    const share = specialShare(pool);
    parts.push(`special ${special.map(describe).join(' + ')} → ${specialCapacity(pool)}${share === undefined ? '' : ` (${percent(share)} of data)`}`);
  }
  for (const role of [VdevRole.LOG, VdevRole.CACHE]) {
    const vdevs = vdevsOf(pool, role);
    if (vdevs.length) {
      parts.push(`${role} ${vdevs.map(describe).join(' + ')} → ${sum(vdevs.map(vdevCapacity))}`);
    }
  }
  return parts.join('; ');
}

function commonSize(v: Vdev): string {
  const sizes = [...new Set(v.devices.map((d) => deviceCapacity(d).toString()))];
  return sizes.join('/');
}

function sum(sizes: Size[]): Size {
  return sizes.reduce((a, b) => a.plus(b), Size.bytes(0));
}

function percent(share: number): string {
  const p = share * 100;
  return `${p >= 10 ? Math.round(p) : Number(p.toFixed(1))} %`;
}
