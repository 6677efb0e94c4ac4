import { describe, expect, it } from 'vitest';
import {
  bucketOf,
  bucketValue,
  emptyHistogram,
  HISTOGRAM_BUCKETS,
  HISTOGRAM_RELATIVE_ERROR,
  mergeInto,
  percentile,
} from './latency-histogram.js';

describe('latency histogram', () => {
  it('puts every value in a bucket whose reported value is within the stated error', () => {
    for (let v = 0.05; v < 500_000; v *= 1.037) {
      const reported = bucketValue(bucketOf(v));
      expect(Math.abs(reported / v - 1)).toBeLessThanOrEqual(HISTOGRAM_RELATIVE_ERROR + 1e-9);
    }
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(-1)).toBe(0);
    expect(bucketOf(Number.NaN)).toBe(0);
    expect(bucketOf(1e12)).toBe(HISTOGRAM_BUCKETS - 1);
  });

  it('gives the nearest-rank percentile of merged histograms, equal to one built from all samples', () => {
    const a = emptyHistogram();
    const b = emptyHistogram();
    const all = emptyHistogram();
    const samples: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      // Two populations: fast (about 2 ms) and a slow tail (about 200 ms).
      const v = i % 10 === 0 ? 150 + (i % 97) : 1 + (i % 37) / 10;
      samples.push(v);
      (i % 2 ? a : b)[bucketOf(v)]! += 1;
      all[bucketOf(v)]! += 1;
    }
    const merged = mergeInto(mergeInto(emptyHistogram(), a), b);
    expect(merged).toEqual(all);
    samples.sort((x, y) => x - y);
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const exact = samples[Math.ceil(q * samples.length) - 1]!;
      const estimate = percentile(merged, q)!;
      expect(Math.abs(estimate / exact - 1)).toBeLessThanOrEqual(HISTOGRAM_RELATIVE_ERROR + 1e-9);
    }
    expect(percentile(emptyHistogram(), 0.5)).toBeNull();
  });
});
