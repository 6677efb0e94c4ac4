import type { Upstream as UpstreamConfig } from '@gatehouse/config';
import { parseDuration } from '@gatehouse/core';

export type Balancing = 'round-robin' | 'weighted' | 'least-connections';

/** Everything an upstream needs, as numbers: validation fills defaults, but a hand-built config may omit them. */
export interface UpstreamSettings {
  balancing: Balancing;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  idleTimeoutMs: number;
  retryAttempts: number;
  retryOnStatus: readonly number[];
  passive: { failures: number; cooldownMs: number } | undefined;
  active: ActiveCheckSettings | undefined;
  breaker: BreakerSettings | undefined;
  pool: PoolSettings;
  preserveHost: boolean;
}

export interface ActiveCheckSettings {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  expectStatus: readonly number[] | undefined;
}

export interface BreakerSettings {
  failureThreshold: number;
  openMs: number;
  halfOpenRequests: number;
}

/** The settings that shape an undici Pool; targets with equal settings share one. */
export interface PoolSettings {
  connectTimeoutMs: number;
  keepAliveTimeoutMs: number;
  connections: number;
  pipelining: number;
  tls: { rejectUnauthorized: boolean; ca: string | undefined; servername: string | undefined } | undefined;
}

export function resolveSettings(config: UpstreamConfig): UpstreamSettings {
  const timeouts = config.timeouts ?? {};
  const passive = config.healthCheck?.passive ?? {};
  const active = config.healthCheck?.active;
  const breaker = config.circuitBreaker;
  const pool = config.pool ?? {};
  const connectTimeoutMs = parseDuration(timeouts.connect ?? '2s');
  return {
    balancing: config.loadBalancing ?? 'round-robin',
    connectTimeoutMs,
    responseTimeoutMs: parseDuration(timeouts.response ?? '30s'),
    idleTimeoutMs: parseDuration(timeouts.idle ?? '60s'),
    retryAttempts: config.retries?.attempts ?? 1,
    retryOnStatus: config.retries?.onStatus ?? [],
    passive:
      passive.enabled === false
        ? undefined
        : { failures: passive.failures ?? 3, cooldownMs: parseDuration(passive.cooldown ?? '30s') },
    active: active && {
      path: active.path.startsWith('/') ? active.path : `/${active.path}`,
      intervalMs: parseDuration(active.interval ?? '10s'),
      timeoutMs: parseDuration(active.timeout ?? '2s'),
      healthyThreshold: active.healthyThreshold ?? 2,
      unhealthyThreshold: active.unhealthyThreshold ?? 2,
      expectStatus: active.expectStatus,
    },
    breaker:
      breaker && breaker.enabled !== false
        ? {
            failureThreshold: breaker.failureThreshold ?? 5,
            openMs: parseDuration(breaker.openDuration ?? '30s'),
            halfOpenRequests: breaker.halfOpenRequests ?? 1,
          }
        : undefined,
    pool: {
      connectTimeoutMs,
      keepAliveTimeoutMs: parseDuration(pool.keepAliveTimeout ?? '30s'),
      connections: pool.connections ?? 256,
      pipelining: pool.pipelining ?? 1,
      tls: config.tls && {
        rejectUnauthorized: config.tls.rejectUnauthorized ?? true,
        ca: config.tls.ca,
        servername: config.tls.servername,
      },
    },
    preserveHost: config.preserveHost ?? false,
  };
}

/** JSON with sorted keys, so two documents that differ only in key order give the same fingerprint. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableStringify((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
