/** Small statistics for the benchmark's samples (milliseconds). */

/** A set of timings: the median, the fastest, the slowest and the 90th percentile. */
export interface Sample {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly p90: number;
  readonly count: number;
}

/** The median of the values (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) {
    throw new Error('no values');
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The median, minimum, maximum and 90th percentile (nearest rank) of the values. */
export function summarize(values: readonly number[]): Sample {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: median(sorted),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    p90: sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.9) - 1)],
    count: sorted.length,
  };
}
