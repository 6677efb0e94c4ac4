/**
 * Window arithmetic shared by every counter store, so memory, Redis and the approximate limiter agree
 * on the same numbers. Convention for HitResult.count: the count after the hit when it was admitted,
 * and the count it would have reached when refused (so `count > limit` means refused).
 */
import type { HitResult, WindowAlgorithm } from '../sdk/counters/types.js';

/** Start of the window containing `now`; windows align to `anchor` (epoch by default). */
export function windowStart(now: number, windowMs: number, anchor = 0): number {
  return anchor + Math.floor((now - anchor) / windowMs) * windowMs;
}

/**
 * The two-window approximation of a sliding window: the previous window's count weighs in
 * proportionally to how much of it the sliding window still overlaps.
 */
export function slidingEstimate(previous: number, current: number, elapsed: number, windowMs: number): number {
  return (previous * (windowMs - elapsed)) / windowMs + current;
}

/** Milliseconds until a hit of `cost` fits under `limit`, as the previous window's weight decays. */
export function slidingRetryMs(
  previous: number,
  current: number,
  elapsed: number,
  windowMs: number,
  limit: number,
  cost: number,
): number {
  const room = limit - cost - current;
  if (room >= 0) {
    if (previous <= room) return 0;
    // previous * (1 - e / windowMs) <= room  <=>  e >= windowMs * (1 - room / previous)
    return Math.max(0, Math.ceil(windowMs * (1 - room / previous) - elapsed));
  }
  // Not in this window: in the next one `current` becomes the decaying previous count.
  const nextRoom = limit - cost;
  if (nextRoom < 0) return Number.POSITIVE_INFINITY;
  const intoNext = current <= nextRoom ? 0 : windowMs * (1 - nextRoom / current);
  return Math.ceil(windowMs - elapsed + intoNext);
}

export interface WindowCounts {
  /** Count of the current window (including this hit when admitted). */
  current: number;
  /** Count of the previous window (sliding only; 0 for fixed). */
  previous: number;
  /** Milliseconds since the current window started. */
  elapsed: number;
}

/** Turns raw window counts into a HitResult; `outcome` says whether the hit was counted. */
export function toHitResult(
  algorithm: WindowAlgorithm,
  counts: WindowCounts,
  request: { windowMs: number; limit: number; cost?: number },
  outcome: 'admitted' | 'refused' | 'peek',
  degraded: boolean,
): HitResult {
  const cost = request.cost ?? 1;
  const { windowMs, limit } = request;
  const untilWindowEnds = windowMs - counts.elapsed;
  if (algorithm === 'fixed') {
    const count = outcome === 'refused' ? counts.current + cost : counts.current;
    return { count, resetMs: untilWindowEnds, degraded };
  }
  const estimate = slidingEstimate(counts.previous, counts.current, counts.elapsed, windowMs);
  const count = outcome === 'refused' ? estimate + cost : estimate;
  const nextFits = outcome !== 'refused' && estimate + cost <= limit;
  // A cost above the limit never fits; report two windows rather than Infinity.
  const resetMs = nextFits
    ? untilWindowEnds
    : Math.min(2 * windowMs, slidingRetryMs(counts.previous, counts.current, counts.elapsed, windowMs, limit, cost));
  return { count, resetMs, degraded };
}
