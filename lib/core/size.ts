/**
 * An amount of bytes: disk, partition, dataset quota, RAM, ARC. Disks are sold in decimal units
 * (a "4 TB" disk holds 4×10¹² bytes) while RAM and most tools count binary units (GiB), so a
 * Size is built with the unit that the fact was stated in and read in the unit a format needs.
 */
import { addValueProblem } from './problems';
import { quoted } from './readable';
import { problem } from './validation';
import { Kind } from './kind';

/**
 * A unit a Size can be read in: bytes (`B`), decimal units as disks are sold (`KB` = 10³ bytes,
 * `MB`, `GB`, `TB` = 10¹² bytes) or binary units as RAM and most tools count (`KiB` = 2¹⁰ bytes,
 * `MiB`, `GiB`, `TiB` = 2⁴⁰ bytes).
 */
export type SizeUnit = 'B' | 'KB' | 'MB' | 'GB' | 'TB' | 'KiB' | 'MiB' | 'GiB' | 'TiB';

/** Bytes in one of each unit. */
const UNITS: Readonly<Record<SizeUnit, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};

const SIZE = Kind.named<Size>('Size');

/** An amount of bytes. */
export class Size {
  /** Is `x` a Size (of any copy of this library)? */
  public static isSize(x: unknown): x is Size {
    return SIZE.is(x);
  }

  /** A number of bytes. */
  public static bytes(n: number): Size {
    return new Size(n);
  }
  /** Binary kibibytes (KiB, 2¹⁰ bytes). */
  public static kibibytes(n: number): Size {
    return new Size(n * UNITS.KiB);
  }
  /** Binary mebibytes (MiB, 2²⁰ bytes). */
  public static mebibytes(n: number): Size {
    return new Size(n * UNITS.MiB);
  }
  /** Binary gibibytes (GiB, 2³⁰ bytes), as RAM is counted. */
  public static gibibytes(n: number): Size {
    return new Size(n * UNITS.GiB);
  }
  /** Binary tebibytes (TiB, 2⁴⁰ bytes). */
  public static tebibytes(n: number): Size {
    return new Size(n * UNITS.TiB);
  }
  /** Decimal kilobytes (10³ bytes). */
  public static kilobytes(n: number): Size {
    return new Size(n * UNITS.KB);
  }
  /** Decimal megabytes (10⁶ bytes). */
  public static megabytes(n: number): Size {
    return new Size(n * UNITS.MB);
  }
  /** Decimal gigabytes (10⁹ bytes), as disks are sold. */
  public static gigabytes(n: number): Size {
    return new Size(n * UNITS.GB);
  }
  /** Decimal terabytes (10¹² bytes), as disks are sold. */
  public static terabytes(n: number): Size {
    return new Size(n * UNITS.TB);
  }

  /**
   * Parses `"32K"`, `"16G"`, `"4TB"`, `"400GiB"`, `"512"` (bytes). Single letters (K, M, G, T)
   * are binary, as ZFS and Linux tools read them; `KB`, `MB`, `GB`, `TB` are decimal.
   */
  public static parse(text: string): Size {
    const m = typeof text === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(B|K|M|G|T|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?\s*$/.exec(text) : null;
    if (!m) {
      const invalid = new Size(NaN, false);
      return addValueProblem(invalid, (field) => problem(`${field} is ${quoted(text)}, which is not a size`, 'write it like "32K", "16GiB" or "4TB"'));
    }
    const letter: Record<string, SizeUnit> = { K: 'KiB', M: 'MiB', G: 'GiB', T: 'TiB' };
    const unit = (m[2] ? (letter[m[2]] ?? m[2]) : 'B') as SizeUnit;
    return new Size(Number(m[1]) * UNITS[unit]);
  }

  /**
   * A size of `byteCount` bytes. One that is not a finite, non-negative number (NaN, a negative
   * or an infinite number) is made anyway, marked with its problem, so that the construct that
   * holds it reports it with the lab's other errors (see core/problems).
   * @param check mark an impossible byte count (off for sizes computed from other sizes, whose
   *   own problem is reported already)
   */
  private constructor(
    private readonly byteCount: number,
    check = true,
  ) {
    SIZE.mark(this);
    if (check && !(Number.isFinite(byteCount) && byteCount >= 0)) {
      addValueProblem(this, (field) =>
        problem(`${field} is ${byteCount} bytes, which is not a size`, 'give a finite number of zero or more bytes, such as Size.gibibytes(16)'),
      );
    }
  }

  /** The size in bytes, rounded to whole bytes. */
  public toBytes(): number {
    return Math.round(this.byteCount);
  }

  /**
   * The size in a unit: fractional by default, or rounded down, up or to the nearest whole unit.
   * @param unit the unit to read the size in
   * @param rounding how to round to a whole number of units; `'none'` keeps the fraction
   */
  public to(unit: SizeUnit, rounding: 'none' | 'floor' | 'ceil' | 'round' = 'none'): number {
    const value = this.byteCount / UNITS[unit];
    return rounding === 'none' ? value : Math[rounding](value);
  }

  /** The size in binary mebibytes (MiB), fractional. */
  public toMebibytes(): number {
    return this.to('MiB');
  }
  /** The size in binary gibibytes (GiB), fractional. */
  public toGibibytes(): number {
    return this.to('GiB');
  }

  /** The sum of this size and `other`. */
  public plus(other: Size): Size {
    return new Size(this.byteCount + other.byteCount, false);
  }
  /** This size multiplied by a non-negative `factor` (`0.8` for 80 % of it). */
  public times(factor: number): Size {
    return new Size(this.byteCount * factor, Number.isFinite(this.byteCount) && this.byteCount >= 0);
  }
  /** Is this a size at all: a finite number of zero or more bytes? (One that is not is reported by validation.) */
  public isValid(): boolean {
    return Number.isFinite(this.byteCount) && this.byteCount >= 0;
  }
  /** Negative when this size is smaller than `other`, 0 when equal, positive when larger (for `sort`). */
  public compareTo(other: Size): number {
    return this.byteCount - other.byteCount;
  }
  /** Is this size zero bytes? */
  public isZero(): boolean {
    return this.byteCount === 0;
  }

  /** A short human form in binary units, for messages and summaries (`16 GiB`, `3.6 TiB`). */
  public toString(): string {
    for (const unit of ['TiB', 'GiB', 'MiB', 'KiB'] as const) {
      if (this.byteCount >= UNITS[unit]) {
        const v = this.byteCount / UNITS[unit];
        return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`;
      }
    }
    return `${this.byteCount} B`;
  }
}
