/**
 * Redis counters that never fail a request: when Redis is unreachable or slow, hits are counted in
 * this gateway's memory (reported as `degraded`), and Redis takes over again once it answers.
 * During an outage each gateway enforces the limit on its own, so a cluster of G gateways admits up to
 * G x limit; local counts are not merged back into Redis afterwards.
 */

import type { CounterStore, HitRequest, HitResult } from '../sdk/counters/types.js';
import { MemoryCounterStore } from './memory-counters.js';
import { type OutageGuardOptions, OutageGuards } from './outage-guard.js';
import type { RedisClient } from './redis-client.js';
import type { RedisCounterStore } from './redis-counters.js';

export type ResilientOptions = Omit<OutageGuardOptions, 'store' | 'connecting'>;

/** True until the client's first connection attempt has either succeeded or failed. */
export function firstConnectPending(client: RedisClient): () => boolean {
  let settled = client.status === 'ready';
  const settle = () => {
    settled = true;
  };
  client.once('ready', settle);
  client.once('error', settle);
  client.once('close', settle);
  return () => !settled;
}

export class ResilientCounterStore implements CounterStore {
  readonly kind = 'redis' as const;
  private readonly fallback = new MemoryCounterStore({ degraded: true });
  private readonly guards: OutageGuards;

  constructor(
    private readonly redis: RedisCounterStore,
    options: ResilientOptions,
  ) {
    this.guards = new OutageGuards(redis.client, {
      ...options,
      store: 'counters',
      connecting: firstConnectPending(redis.client),
    });
    redis.client.on('ready', () => this.guards.probeNow());
  }

  /** True while Redis (or, in a Cluster, one of its masters) is considered down. */
  get degraded(): boolean {
    return this.guards.isDown;
  }

  async hit(request: HitRequest): Promise<HitResult> {
    return this.safely(
      request,
      () => this.redis.hit(request),
      () => this.fallback.hit(request),
    );
  }

  async peek(request: HitRequest): Promise<HitResult> {
    return this.safely(
      request,
      () => this.redis.peek(request),
      () => this.fallback.peek(request),
    );
  }

  async add(key: string, windowMs: number, delta: number, windowStartMs?: number): Promise<number> {
    try {
      const { value } = await this.guards.for(this.redis.redisKey(key)).run(
        () => this.redis.add(key, windowMs, delta, windowStartMs),
        () => this.fallback.add(key, windowMs, delta, windowStartMs),
      );
      return value;
    } catch {
      return delta;
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.redis.close(), this.fallback.close()]);
  }

  private async safely(
    request: HitRequest,
    primary: () => Promise<HitResult>,
    fallback: () => HitResult,
  ): Promise<HitResult> {
    try {
      return (await this.guards.for(this.redis.redisKey(request.key)).run(primary, fallback)).value;
    } catch {
      // Only a bug in the fallback lands here; admitting beats failing the request.
      return { count: 0, resetMs: request.windowMs, degraded: true };
    }
  }
}
