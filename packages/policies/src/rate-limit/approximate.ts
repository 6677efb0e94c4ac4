/**
 * rate-limit's `mode: approximate`: local decisions over the shared ApproximateCounter, with the
 * fixed or sliding window arithmetic every store uses. The cross-gateway overshoot bound is proved in
 * docs/decisions/0005-approximate-counters.md: limit + (G - 1) x min(limit, r x (S + d)).
 */
import type { HitResult, WindowAlgorithm } from '../sdk/counters/types.js';
import { ApproximateCounter, type ApproximateCounterOptions } from '../stores/approximate-counter.js';
import { slidingEstimate, toHitResult, windowStart } from '../stores/window.js';

export interface ApproximateRateLimiterOptions extends Omit<ApproximateCounterOptions, 'primeFromStore'> {
  windowMs: number;
  algorithm: WindowAlgorithm;
}

export class ApproximateRateLimiter {
  private readonly counter: ApproximateCounter;
  private readonly now: () => number;

  constructor(private readonly options: ApproximateRateLimiterOptions) {
    this.counter = new ApproximateCounter(options);
    this.now = options.now ?? (() => Date.now());
  }

  /** Admits or refuses one request for `key` from local knowledge only. */
  hit(key: string, limit: number): HitResult {
    const { windowMs, algorithm } = this.options;
    const now = this.now();
    const window = this.counter.window(key, { startMs: windowStart(now, windowMs), lengthMs: windowMs });
    const counts = {
      current: ApproximateCounter.count(window),
      previous: algorithm === 'sliding' ? window.previousTotal : 0,
      elapsed: now - window.startMs,
    };
    const estimate =
      algorithm === 'sliding'
        ? slidingEstimate(counts.previous, counts.current, counts.elapsed, windowMs)
        : counts.current;
    if (estimate + 1 > limit) return toHitResult(algorithm, counts, { windowMs, limit }, 'refused', false);
    this.counter.admit(window);
    counts.current += 1;
    return toHitResult(algorithm, counts, { windowMs, limit }, 'admitted', false);
  }

  sync(): Promise<void> {
    return this.counter.sync();
  }

  close(): Promise<void> {
    return this.counter.close();
  }
}
