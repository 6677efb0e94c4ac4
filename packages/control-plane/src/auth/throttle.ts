/**
 * Login throttling: failures are counted per account and per client address in a sliding window.
 * Per-account limits stop guessing one password from many addresses; per-address limits stop one
 * address spraying many accounts. In memory (bounded LRU): a restart forgets, which is acceptable
 * next to argon2's cost per attempt.
 */
import { GatewayError, LruCache } from '@gatehouse/core';

export interface ThrottleOptions {
  windowMs: number;
  maxPerAccount: number;
  maxPerAddress: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { windowMs: 15 * 60_000, maxPerAccount: 5, maxPerAddress: 30 };

export class LoginThrottle {
  private readonly failures = new LruCache<string, number[]>(100_000);

  constructor(
    private readonly options: ThrottleOptions = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  private recent(key: string): number[] {
    const since = this.now() - this.options.windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > since);
  }

  /** Throws 429 (with Retry-After) while either counter is over its limit. */
  check(account: string, address: string): void {
    const checks: [string, number][] = [
      [`a:${account}`, this.options.maxPerAccount],
      [`ip:${address}`, this.options.maxPerAddress],
    ];
    for (const [key, max] of checks) {
      const times = this.recent(key);
      if (times.length >= max) {
        const retryAfter = Math.max(1, Math.ceil((times[0]! + this.options.windowMs - this.now()) / 1000));
        throw new GatewayError('too_many_requests', {
          detail: 'Too many failed sign-in attempts; try again later.',
          headers: { 'retry-after': String(retryAfter) },
        });
      }
    }
  }

  fail(account: string, address: string): void {
    for (const key of [`a:${account}`, `ip:${address}`]) {
      const times = this.recent(key);
      times.push(this.now());
      this.failures.set(key, times.slice(-100));
    }
  }

  succeed(account: string): void {
    this.failures.delete(`a:${account}`);
  }
}
