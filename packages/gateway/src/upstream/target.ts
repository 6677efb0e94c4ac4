import type { Pool } from 'undici';
import type { PoolLease } from './pool-manager.js';

/** Where a target's requests go, precomputed once so the hot path only concatenates strings. */
export interface TargetAddress {
  /** The URL as configured (state snapshots). */
  readonly url: string;
  /** `http(s)://host:port`: the pool key and the `target` reported for a response. */
  readonly origin: string;
  /** Path prefix without a trailing slash (`''` when none): `/v1` + `/items` -> `/v1/items`. */
  readonly prefix: string;
  /** Host header value for the target (includes a non-default port). */
  readonly host: string;
}

export function parseTarget(url: string): TargetAddress {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`upstream target ${url} must be an http(s) URL`);
  }
  const prefix = parsed.pathname.endsWith('/') ? parsed.pathname.slice(0, -1) : parsed.pathname;
  return { url, origin: parsed.origin, prefix, host: parsed.host };
}

/** A configured target and its live state (in-flight count, balancing weight, passive and active health). */
export class TargetState implements TargetAddress {
  readonly url: string;
  readonly origin: string;
  readonly prefix: string;
  readonly host: string;
  readonly weight: number;
  readonly lease: PoolLease;
  readonly pool: Pool;
  inFlight = 0;
  /** Smooth weighted round-robin accumulator. */
  currentWeight = 0;
  consecutiveFailures = 0;
  /** Epoch ms until which passive health keeps the target out; 0 when not ejected. */
  ejectedUntil = 0;
  /** Verdict of the active health checks (true until they say otherwise). */
  activeHealthy = true;
  /** Consecutive probe results: positive successes, negative failures. */
  probeStreak = 0;

  constructor(
    address: TargetAddress,
    weight: number,
    lease: PoolLease,
    /** A per-request target (overrides.targetUrl): outside balancing, health and the breaker. */
    readonly dynamic = false,
  ) {
    this.url = address.url;
    this.origin = address.origin;
    this.prefix = address.prefix;
    this.host = address.host;
    this.weight = weight;
    this.lease = lease;
    this.pool = lease.pool;
  }
}
