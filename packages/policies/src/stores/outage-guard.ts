/**
 * Decides, per call, whether to use Redis or the local fallback. After a failure Redis is skipped for
 * `retryAfterMs` (so a dead or slow Redis costs one timeout per interval, not one per request), then
 * one call probes it again. Outages are logged once when they start and once when they end.
 */
import type { Logger } from '@gatehouse/core';

export interface OutageGuardOptions {
  /** What is guarded, for logs: `counters` or `responseCache`. */
  store: 'counters' | 'responseCache';
  /** `host:port` of Redis, for logs. */
  target: string;
  logger: Logger;
  /** Called for every call served by the fallback (wired to gatehouse_redis_fallbacks_total). */
  onFallback?: (store: 'counters' | 'responseCache') => void;
  /** How long Redis is skipped after a failure before it is tried again. */
  retryAfterMs?: number;
  /**
   * True while the client is still making its first connection: calls fall back without starting an
   * outage (no warning), since a gateway that just started is not "down".
   */
  connecting?: () => boolean;
  now?: () => number;
}

export interface Guarded<T> {
  value: T;
  degraded: boolean;
}

export class OutageGuard {
  private down = false;
  private retryAt = 0;
  private readonly retryAfterMs: number;
  private readonly now: () => number;

  constructor(private readonly options: OutageGuardOptions) {
    this.retryAfterMs = options.retryAfterMs ?? 1000;
    this.now = options.now ?? (() => Date.now());
  }

  /** True between the first failure of an outage and the first success after it. */
  get isDown(): boolean {
    return this.down;
  }

  /** Lets the next call try Redis at once (the client reconnected). */
  probeNow(): void {
    this.retryAt = 0;
  }

  async run<T>(primary: () => Promise<T>, fallback: () => T | Promise<T>): Promise<Guarded<T>> {
    if (this.down && this.now() < this.retryAt) return this.fallBack(fallback);
    // Concurrent calls keep using the fallback while this one probes.
    if (this.down) this.retryAt = this.now() + this.retryAfterMs;
    try {
      const value = await primary();
      if (this.down) this.recovered();
      return { value, degraded: false };
    } catch (error) {
      this.failed(error);
      return this.fallBack(fallback);
    }
  }

  private async fallBack<T>(fallback: () => T | Promise<T>): Promise<Guarded<T>> {
    try {
      this.options.onFallback?.(this.options.store);
    } catch {
      // A metrics callback must never break a request.
    }
    return { value: await fallback(), degraded: true };
  }

  private failed(error: unknown): void {
    if (!this.down && this.options.connecting?.()) return;
    this.retryAt = this.now() + this.retryAfterMs;
    if (this.down) return;
    this.down = true;
    this.options.logger.warn(
      { store: this.options.store, redis: this.options.target, reason: (error as Error)?.message },
      'Redis unreachable or slow: serving from local memory until it recovers',
    );
  }

  private recovered(): void {
    this.down = false;
    this.options.logger.info({ store: this.options.store, redis: this.options.target }, 'Redis recovered');
  }
}
