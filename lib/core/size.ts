/**
 * An amount of bytes: disk, partition, dataset quota, RAM, ARC. Disks are sold in decimal units
 * (a "4 TB" disk holds 4×10¹² bytes) while RAM and most tools count binary units (GiB), so a
 * Size is built with the unit that the fact was stated in and read in the unit a format needs.
 */
const UNITS = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
} as const;

/** A unit a Size can be read in. */
export type SizeUnit = keyof typeof UNITS;

const SIZE = Symbol.for('homelab-cdk.Size');

/** An amount of bytes. */
export class Size {
  /** Is `x` a Size (of any copy of this library)? */
  public static isSize(x: unknown): x is Size {
    return typeof x === 'object' && x !== null && SIZE in x;
  }

  public static bytes(n: number): Size {
    return new Size(n);
  }
  public static kibibytes(n: number): Size {
    return new Size(n * UNITS.KiB);
  }
  public static mebibytes(n: number): Size {
    return new Size(n * UNITS.MiB);
  }
  public static gibibytes(n: number): Size {
    return new Size(n * UNITS.GiB);
  }
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
    const m = /^\s*(\d+(?:\.\d+)?)\s*(B|K|M|G|T|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?\s*$/.exec(text);
    if (!m) {
      throw new Error(`"${text}" is not a size (e.g. "32K", "16GiB", "4TB")`);
    }
    const letter: Record<string, SizeUnit> = { K: 'KiB', M: 'MiB', G: 'GiB', T: 'TiB' };
    const unit = (m[2] ? (letter[m[2]] ?? m[2]) : 'B') as SizeUnit;
    return new Size(Number(m[1]) * UNITS[unit]);
  }

  private constructor(private readonly byteCount: number) {
    if (!Number.isFinite(byteCount) || byteCount < 0) {
      throw new Error(`a size must be a finite, non-negative number of bytes (got ${byteCount})`);
    }
    Object.defineProperty(this, SIZE, { value: true });
  }

  /** The size in bytes, rounded to whole bytes. */
  public toBytes(): number {
    return Math.round(this.byteCount);
  }

  /** The size in a unit; fractional unless `integer` rounding is asked for. */
  public to(unit: SizeUnit, rounding: 'none' | 'floor' | 'ceil' | 'round' = 'none'): number {
    const value = this.byteCount / UNITS[unit];
    return rounding === 'none' ? value : Math[rounding](value);
  }

  public toMebibytes(): number {
    return this.to('MiB');
  }
  public toGibibytes(): number {
    return this.to('GiB');
  }

  public plus(other: Size): Size {
    return new Size(this.byteCount + other.byteCount);
  }
  public times(factor: number): Size {
    return new Size(this.byteCount * factor);
  }
  public compareTo(other: Size): number {
    return this.byteCount - other.byteCount;
  }
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
