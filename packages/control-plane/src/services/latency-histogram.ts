/**
 * Fixed log-scale latency histogram: mergeable by adding counts bucket by bucket, so per-minute
 * rollups add up to any range without the raw rows. Bucket 0 holds [0, 0.05 ms); bucket i >= 1 holds
 * [0.05 * 2^((i-1)/4), 0.05 * 2^(i/4)) ms; the last one is open-ended (from ~590 s on).
 *
 * Error bound: a percentile is reported as the geometric middle of the bucket holding the sample of
 * that rank (nearest rank), so it is within 2^(1/8) - 1 = 9.05 % of that sample (relative), or within
 * 0.025 ms below 0.05 ms. Counts are exact.
 */
export const HISTOGRAM_BUCKETS = 96;
export const HISTOGRAM_MIN_MS = 0.05;
const PER_OCTAVE = 4;
/** Relative error bound of a reported percentile (see above). */
export const HISTOGRAM_RELATIVE_ERROR = 2 ** (1 / (2 * PER_OCTAVE)) - 1;

export function bucketOf(latencyMs: number): number {
  if (!(latencyMs >= HISTOGRAM_MIN_MS)) return 0;
  const i = 1 + Math.floor(Math.log2(latencyMs / HISTOGRAM_MIN_MS) * PER_OCTAVE);
  return i < HISTOGRAM_BUCKETS ? i : HISTOGRAM_BUCKETS - 1;
}

/** The value a bucket stands for: its geometric middle (half the bound for bucket 0). */
export function bucketValue(index: number): number {
  if (index <= 0) return HISTOGRAM_MIN_MS / 2;
  const lower = HISTOGRAM_MIN_MS * 2 ** ((index - 1) / PER_OCTAVE);
  // The last bucket is open-ended: its lower bound is the best we can say.
  return index >= HISTOGRAM_BUCKETS - 1 ? lower : lower * 2 ** (1 / (2 * PER_OCTAVE));
}

export function emptyHistogram(): number[] {
  return new Array<number>(HISTOGRAM_BUCKETS).fill(0);
}

/** Adds `from` into `into` (same length), returning `into`. */
export function mergeInto(into: number[], from: ArrayLike<number>): number[] {
  const n = Math.min(into.length, from.length);
  for (let i = 0; i < n; i++) into[i]! += Number(from[i]);
  return into;
}

/** Nearest-rank percentile (q in (0, 1]) of a histogram; null when it is empty. */
export function percentile(histogram: ArrayLike<number>, q: number): number | null {
  let total = 0;
  for (let i = 0; i < histogram.length; i++) total += histogram[i]!;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= rank) return bucketValue(i);
  }
  return bucketValue(histogram.length - 1);
}

/** PostgreSQL array literal of a histogram, for passing through JSON to `::int[]`. */
export function toPgArray(histogram: readonly number[]): string {
  return `{${histogram.join(',')}}`;
}
