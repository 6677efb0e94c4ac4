/**
 * Failed logins counted per (user name, client address) in a fixed window, in a bounded LRU:
 * past the limit the pair is refused (429) without paying for a hash check, so a password guesser
 * gets a handful of tries per window and cannot keep the verification slots busy for one user.
 */
import { LruCache } from '@gatehouse/core';

interface Failures {
  count: number;
  windowEnds: number;
}

export class FailureThrottle {
  private readonly failures: LruCache<string, Failures>;

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    maxEntries: number,
  ) {
    this.failures = new LruCache(maxEntries);
  }

  /** Seconds until the pair may try again, or 0 when it may try now. */
  retryAfter(username: string, clientIp: string, now = Date.now()): number {
    const entry = this.failures.peek(keyOf(username, clientIp));
    if (entry === undefined || entry.windowEnds <= now || entry.count < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((entry.windowEnds - now) / 1000));
  }

  failed(username: string, clientIp: string, now = Date.now()): void {
    const key = keyOf(username, clientIp);
    const entry = this.failures.get(key);
    if (entry === undefined || entry.windowEnds <= now)
      this.failures.set(key, { count: 1, windowEnds: now + this.windowMs });
    else entry.count++;
  }

  succeeded(username: string, clientIp: string): void {
    this.failures.delete(keyOf(username, clientIp));
  }
}

function keyOf(username: string, clientIp: string): string {
  return `${clientIp}\u0000${username}`;
}
