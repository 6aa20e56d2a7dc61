import { describe, expect, it } from 'vitest';
import { Disk, poolSummary, recommendedSpecialCapacity, Size, specialCapacity, specialShare, SPECIAL_VDEV_RULE, usableCapacity, VdevLayout, ZfsPool, zfsSize } from '../../lib/internal';
import { buildReferenceLab } from '../../apps/reference-lab';
import { testDisks, zfsLab } from './support';

function pool(layouts: Array<[VdevLayout, Disk[]]>): ZfsPool {
  const { nas } = zfsLab();
  const p = new ZfsPool(nas, 'p');
  layouts.forEach(([layout, devices]) => p.addDataVdev({ layout, devices }));
  return p;
}

const disks = (sizesTb: number[], tag = 'D') => sizesTb.map((tb, i) => Disk.byId(`/dev/disk/by-id/ata-${tag}${i}`, { size: Size.terabytes(tb) }));

describe('usableCapacity', () => {
  it('keeps n − parity disks of a raidz, counted at the smallest disk', () => {
    expect(usableCapacity(pool([[VdevLayout.RAIDZ1, disks([4, 4, 4, 4])]])).toBytes()).toBe(Size.terabytes(12).toBytes());
    expect(usableCapacity(pool([[VdevLayout.RAIDZ2, disks([4, 4, 4, 4, 4, 4])]])).toBytes()).toBe(Size.terabytes(16).toBytes());
    expect(usableCapacity(pool([[VdevLayout.RAIDZ3, disks([8, 8, 8, 8, 8, 6])]])).toBytes()).toBe(Size.terabytes(18).toBytes());
  });

  it('keeps the smallest device of a mirror and the sum of a stripe', () => {
    expect(usableCapacity(pool([[VdevLayout.MIRROR, disks([1, 2])]])).toBytes()).toBe(Size.terabytes(1).toBytes());
    expect(usableCapacity(pool([[VdevLayout.STRIPE, disks([1, 2])]])).toBytes()).toBe(Size.terabytes(3).toBytes());
  });

  it('adds up the data vdevs of a pool', () => {
    const p = pool([
      [VdevLayout.MIRROR, disks([4, 4], 'A')],
      [VdevLayout.MIRROR, disks([8, 8], 'B')],
    ]);
    expect(usableCapacity(p).toBytes()).toBe(Size.terabytes(12).toBytes());
  });

  it("gives the reference lab's tank about 12 TB: three of its four 4 TB disks", () => {
    const { storage } = buildReferenceLab();
    const hdd = storage.tank.dataVdevs[0].devices[0];
    expect(storage.tank.dataVdevs[0].devices).toHaveLength(4);
    expect(usableCapacity(storage.tank).toBytes()).toBe(hdd.size.times(3).toBytes());
  });
});

describe('special vdev against the data', () => {
  it('measures the mirror at one device and compares it with the usable data capacity', () => {
    const { nas } = zfsLab();
    const { hdds, ssds } = testDisks();
    const p = new ZfsPool(nas, 'p');
    p.addDataVdev({ layout: VdevLayout.RAIDZ1, devices: hdds.slice(0, 4) });
    p.addSpecialVdev({ devices: ssds.map((s) => s.addPartition({ size: Size.gigabytes(400) })) });
    expect(specialCapacity(p).toBytes()).toBe(Size.gigabytes(400).toBytes());
    expect(specialShare(p)).toBeCloseTo(400 / 12000, 10);
  });

  it('sizes a partition without size as the rest of its disk', () => {
    const ssd = Disk.byId('/dev/disk/by-id/ata-SSD', { size: Size.terabytes(1) });
    ssd.addPartition({ size: Size.gigabytes(400) });
    expect(ssd.addPartition().size.toBytes()).toBe(Size.gigabytes(600).toBytes());
  });

  it('recommends 2 % of the data with small blocks and 0.3 % for metadata alone', () => {
    const p = pool([[VdevLayout.RAIDZ1, disks([4, 4, 4, 4])]]);
    expect(recommendedSpecialCapacity(p, true).toBytes()).toBe(Math.round(12e12 * SPECIAL_VDEV_RULE.smallBlocksShare));
    expect(recommendedSpecialCapacity(p, false).toBytes()).toBe(Math.round(12e12 * SPECIAL_VDEV_RULE.metadataShare));
  });

  it('summarizes a pool on one line for synth', () => {
    const { storage } = buildReferenceLab();
    const line = poolSummary(storage.tank);
    expect(line).toMatch(new RegExp(`^tank: raidz1 4 × .* → ${escape(usableCapacity(storage.tank).toString())} usable; special mirror 2 × .*→ ${escape(specialCapacity(storage.tank).toString())} \\(3\\.3 % of data\\); log mirror 2 × .*; cache stripe 2 × `));
  });
});

describe('zfsSize', () => {
  it('writes the largest binary unit that holds a size exactly, else bytes', () => {
    expect(zfsSize(Size.kibibytes(32))).toBe('32K');
    expect(zfsSize(Size.mebibytes(1))).toBe('1M');
    expect(zfsSize(Size.gibibytes(1536 / 1024))).toBe('1536M');
    expect(zfsSize(Size.gigabytes(500))).toBe('488281250K');
    expect(zfsSize(Size.bytes(1000))).toBe('1000');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
