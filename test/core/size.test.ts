import { describe, expect, it } from 'vitest';
import { Size } from '../../lib';

describe('Size', () => {
  it('keeps decimal disk units and binary RAM units apart', () => {
    expect(Size.terabytes(4).toBytes()).toBe(4e12);
    expect(Size.terabytes(4).toString()).toBe('3.6 TiB');
    expect(Size.gibibytes(16).toBytes()).toBe(17179869184);
    expect(Size.gibibytes(16).toString()).toBe('16 GiB');
  });

  it('parses ZFS-style sizes: single letters are binary, two-letter units decimal', () => {
    expect(Size.parse('32K').toBytes()).toBe(32768);
    expect(Size.parse('16G').toGibibytes()).toBe(16);
    expect(Size.parse('4TB').toBytes()).toBe(4e12);
    expect(Size.parse('400GiB').to('GiB')).toBe(400);
    expect(Size.parse('512').toBytes()).toBe(512);
    expect(Size.parse('lots').isValid()).toBe(false);
  });

  it('adds, scales, compares and rounds', () => {
    const a = Size.gibibytes(4).plus(Size.gibibytes(12));
    expect(a.compareTo(Size.gibibytes(16))).toBe(0);
    expect(Size.gigabytes(100).to('GiB', 'floor')).toBe(93);
    expect(Size.gigabytes(100).times(2).to('GB')).toBe(200);
    expect(Size.bytes(-1).isValid()).toBe(false);
    expect(Size.bytes(NaN).isValid()).toBe(false);
    expect(Size.gibibytes(2).times(-1).isValid()).toBe(false);
  });
});
