/**
 * Jitter for everything a gateway repeats against the control plane. A fleet that polls, heartbeats
 * or retries on a fixed schedule hits the control plane in the same instant after a deploy or a
 * restart (a thundering herd); spreading each wait uniformly keeps the load flat.
 */
export type Random = () => number;

/** A wait uniform in [intervalMs/2, 3·intervalMs/2): full jitter around the interval, same mean. */
export function aroundInterval(intervalMs: number, random: Random = Math.random): number {
  return Math.round(intervalMs * (0.5 + random()));
}

/**
 * Exponential backoff with full jitter: the step doubles from base to max, and each delay is
 * uniform in [base/10, step] (the floor keeps a failing loop from spinning).
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 1000,
    private readonly maxMs = 30_000,
    private readonly random: Random = Math.random,
  ) {}

  /** The delay before the next attempt; each call doubles the step until maxMs. */
  next(): number {
    const step = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.max(Math.round(this.baseMs / 10), Math.round(step * this.random()));
  }

  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}
