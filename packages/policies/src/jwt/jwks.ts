/**
 * A remote JWK Set with a bounded appetite for the network: keys are fetched lazily, reused for
 * `maxAge`, and refetched when a token names an unknown `kid` — but never more than once per
 * `minRefreshInterval`, so a flood of tokens with made-up `kid`s costs the issuer one request.
 * Concurrent callers share one in-flight fetch. A failed fetch keeps the previous keys.
 */
import type { Logger } from '@gatehouse/core';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { loggableUrl } from './bearer.js';

export interface JwksOptions {
  url: string;
  maxAgeMs: number;
  minRefreshIntervalMs: number;
  timeoutMs: number;
  logger: Logger;
  /** Clock, replaceable in tests. */
  now?: () => number;
}

/** No keys could be fetched yet: the gateway cannot judge the token (503, not 401). */
export class JwksUnavailableError extends Error {
  constructor() {
    super('JWK Set is unavailable');
    this.name = 'JwksUnavailableError';
  }
}

const MAX_JWKS_BYTES = 512 * 1024;
// With no keys at all, retry sooner than minRefreshInterval so a cold start recovers quickly.
const BOOTSTRAP_RETRY_MS = 5_000;

export class JwksCache {
  private keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: JwksOptions) {
    this.now = options.now ?? Date.now;
  }

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (!this.keySet || this.now() - this.fetchedAt >= this.options.maxAgeMs) await this.refresh();
    if (!this.keySet) throw new JwksUnavailableError();
    try {
      return await this.keySet(header, token);
    } catch (error) {
      // An unknown kid may be a freshly rotated key: refetch (or join the fetch already under way).
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      if (!this.inflight && !this.refreshAllowed()) throw error;
      await this.refresh();
      return await this.keySet!(header, token);
    }
  };

  private refreshAllowed(): boolean {
    const interval = this.keySet
      ? this.options.minRefreshIntervalMs
      : Math.min(this.options.minRefreshIntervalMs, BOOTSTRAP_RETRY_MS);
    return this.now() - this.attemptedAt >= interval;
  }

  /** Fetches unless one is in flight (then waits for it) or the last attempt is too recent. */
  private refresh(): Promise<void> {
    if (this.inflight) return this.inflight;
    if (!this.refreshAllowed()) return Promise.resolve();
    this.attemptedAt = this.now();
    this.inflight = this.fetchKeys().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    const { url, timeoutMs, logger } = this.options;
    try {
      const response = await fetch(url, {
        headers: { accept: 'application/jwk-set+json, application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`status ${response.status}`);
      const declared = Number(response.headers.get('content-length') ?? 0);
      if (declared > MAX_JWKS_BYTES) throw new Error('response too large');
      const text = await response.text();
      if (text.length > MAX_JWKS_BYTES) throw new Error('response too large');
      const set = JSON.parse(text) as JSONWebKeySet;
      if (set === null || typeof set !== 'object' || !Array.isArray(set.keys)) throw new Error('not a JWK Set');
      this.keySet = createLocalJWKSet(set);
      this.fetchedAt = this.now();
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : (error as Error).message;
      logger.warn(
        { jwksUrl: loggableUrl(url), reason, keptPreviousKeys: this.keySet !== undefined },
        'JWK Set fetch failed',
      );
    }
  }
}
