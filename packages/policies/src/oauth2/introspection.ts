/**
 * RFC 7662 introspection client with a result cache. Active tokens are cached until
 * min(exp, maxTtl); inactive ones for negativeTtl, so a replayed dead token does not reach the
 * authorization server each time. Keys are sha256 of the token: the raw token is not kept in memory.
 * Concurrent requests with the same uncached token share one introspection call.
 */

import type { Logger } from '@gatehouse/core';
import { LruCache, sha256Hex } from '@gatehouse/core';
import { deepFreeze, loggableUrl } from '../jwt/bearer.js';

export type Introspection = { active: true; claims: Readonly<Record<string, unknown>> } | { active: false };

interface CachedIntrospection {
  result: Introspection;
  expiresAt: number;
}

/** The introspection endpoint could not give an answer: the token cannot be judged (503, not 401). */
export class IntrospectionUnavailableError extends Error {
  constructor(reason: string) {
    super(`token introspection failed: ${reason}`);
    this.name = 'IntrospectionUnavailableError';
  }
}

export interface IntrospectionOptions {
  url: string;
  clientId: string;
  clientSecret: string;
  tokenTypeHint: string;
  timeoutMs: number;
  maxEntries: number;
  maxTtlMs: number;
  negativeTtlMs: number;
  logger: Logger;
  now?: () => number;
}

const MAX_RESPONSE_BYTES = 256 * 1024;

export class IntrospectionClient {
  private readonly cache: LruCache<string, CachedIntrospection> | undefined;
  private readonly inflight = new Map<string, Promise<Introspection>>();
  private readonly authorization: string;
  private readonly now: () => number;

  constructor(private readonly options: IntrospectionOptions) {
    this.cache = options.maxEntries > 0 ? new LruCache(options.maxEntries) : undefined;
    // RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
    const basic = `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`;
    this.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
    this.now = options.now ?? Date.now;
  }

  async introspect(token: string): Promise<Introspection> {
    const key = sha256Hex(token);
    const cached = this.cache?.get(key);
    if (cached !== undefined) {
      if (cached.expiresAt > this.now()) return cached.result;
      this.cache!.delete(key);
    }
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.fetchAndCache(key, token).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async fetchAndCache(key: string, token: string): Promise<Introspection> {
    const result = await this.fetch(token);
    const now = this.now();
    let expiresAt = now + this.options.negativeTtlMs;
    if (result.active) {
      const exp = typeof result.claims.exp === 'number' ? result.claims.exp * 1000 : Number.POSITIVE_INFINITY;
      expiresAt = Math.min(exp, now + this.options.maxTtlMs);
    }
    this.cache?.set(key, { result, expiresAt });
    return result;
  }

  private async fetch(token: string): Promise<Introspection> {
    const { url, timeoutMs, tokenTypeHint, logger } = this.options;
    const form = new URLSearchParams({ token });
    if (tokenTypeHint) form.set('token_type_hint', tokenTypeHint);
    let body: unknown;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: this.authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`status ${response.status}`);
      if (Number(response.headers.get('content-length') ?? 0) > MAX_RESPONSE_BYTES)
        throw new Error('response too large');
      const text = await response.text();
      if (text.length > MAX_RESPONSE_BYTES) throw new Error('response too large');
      body = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : (error as Error).message;
      logger.warn({ introspectionUrl: loggableUrl(url), reason }, 'token introspection failed');
      throw new IntrospectionUnavailableError(reason);
    }
    if (body === null || typeof body !== 'object' || typeof (body as { active?: unknown }).active !== 'boolean') {
      logger.warn({ introspectionUrl: loggableUrl(url) }, 'token introspection answered without a boolean "active"');
      throw new IntrospectionUnavailableError('malformed response');
    }
    const claims = body as Record<string, unknown>;
    if (claims.active !== true || !this.currentlyValid(claims)) return { active: false };
    return { active: true, claims: deepFreeze(claims) };
  }

  /** Servers should do this themselves; a token already expired or not yet valid here is treated as inactive. */
  private currentlyValid(claims: Record<string, unknown>): boolean {
    const nowSeconds = this.now() / 1000;
    if (typeof claims.exp === 'number' && claims.exp <= nowSeconds) return false;
    if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds) return false;
    return true;
  }
}
