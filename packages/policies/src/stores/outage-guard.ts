/**
 * Decides, per call, whether to use Redis or the local fallback. After a failure Redis is skipped for
 * `retryAfterMs` (so a dead or slow Redis costs one timeout per interval, not one per request), then
 * one call probes it again. Outages are logged once when they start and once when they end.
 */
import type { Logger } from '@gatehouse/core';
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-client.js';

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

/**
 * The guards of one store: one per Redis Cluster master, found from the key's slot as the client
 * routes the command, so a dead master sends only its own slots' keys to memory while the others
 * keep counting in Redis; one guard in all for a single Redis or a Sentinel-managed master. A slot
 * that moves (failover, resharding) moves its keys to the new master's guard.
 */
export class OutageGuards {
  private readonly byNode = new Map<string, OutageGuard>();
  private readonly cluster: Cluster | undefined;

  constructor(
    client: RedisClient,
    private readonly options: OutageGuardOptions,
  ) {
    this.cluster = client instanceof Cluster ? client : undefined;
  }

  /** The guard of the node serving `redisKey` (the key as sent to Redis, prefix included). */
  for(redisKey: string): OutageGuard {
    // Before the slots are known (first connect) every key shares the store-wide guard.
    const node = this.cluster?.slots[calculateSlot(redisKey)]?.[0] ?? this.options.target;
    let guard = this.byNode.get(node);
    if (!guard) {
      guard = new OutageGuard(node === this.options.target ? this.options : { ...this.options, target: node });
      this.byNode.set(node, guard);
    }
    return guard;
  }

  /** True while any node is considered down. */
  get isDown(): boolean {
    for (const guard of this.byNode.values()) if (guard.isDown) return true;
    return false;
  }

  /** Lets the next call to every node try Redis at once (the client reconnected). */
  probeNow(): void {
    for (const guard of this.byNode.values()) guard.probeNow();
  }
}
