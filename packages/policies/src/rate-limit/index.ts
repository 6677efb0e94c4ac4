/**
 * rate-limit: N requests per window per key (subscription, client IP, or a CEL key), counted in the
 * shared counter store so every gateway enforces one limit. Counters are namespaced by the policy's
 * stable scope key, so a config reload keeps them. A store in trouble never fails a request: a
 * degraded store counts locally, and an error admits the request.
 */
import { GatewayError, parseDuration } from '@gatehouse/core';
import type { HitRequest, HitResult } from '../sdk/counters/types.js';
import { definePolicy } from '../sdk/define.js';
import { createKeyResolver } from '../sdk/traffic-key.js';
import { type GatewayResponse, type RequestContext, RequestLocal } from '../sdk/types.js';
import { ApproximateRateLimiter } from './approximate.js';
import { rateLimitContract } from './contract.js';
import type { RateLimitConfig } from './schema.js';

interface RateLimitState {
  limit: number;
  /** The limit as a header value, made once per policy rather than per request. */
  limitText: string;
  remaining: number;
  resetSeconds: number;
}

/**
 * Header values per request, shared by every rate-limit instance on the route so the client sees
 * the most restrictive one.
 */
const STATE = new RequestLocal<RateLimitState>('rate-limit');

function record(ctx: RequestContext, state: RateLimitState): void {
  const previous = ctx.getLocal(STATE);
  const tighter =
    !previous ||
    state.remaining < previous.remaining ||
    (state.remaining === previous.remaining && state.resetSeconds > previous.resetSeconds);
  if (tighter) ctx.setLocal(STATE, state);
}

function setHeaders(headers: Record<string, string>, state: RateLimitState): void {
  headers['ratelimit-limit'] = state.limitText;
  headers['ratelimit-remaining'] = String(state.remaining);
  headers['ratelimit-reset'] = String(state.resetSeconds);
}

function setResponseHeaders(response: GatewayResponse, state: RateLimitState): void {
  response.setHeader('ratelimit-limit', state.limitText);
  response.setHeader('ratelimit-remaining', String(state.remaining));
  response.setHeader('ratelimit-reset', String(state.resetSeconds));
}

export const rateLimitPolicy = definePolicy<RateLimitConfig>({
  ...rateLimitContract,
  create(config, env) {
    const windowMs = parseDuration(config.window);
    const { limit, algorithm } = config;
    const limitText = String(limit);
    // The window length is part of the namespace: counts of a 1m window mean nothing to a 1h one. The resolver
    // memoizes whole counter keys per identity: one lookup per request, and the key keeps its cached hash.
    const counterKeyOf = createKeyResolver(config.key ?? '', env, `rl:${env.scope.key}:${windowMs}`);
    let lastWarning = 0;
    const warn = (error: unknown) => {
      // A failing store would otherwise log on every request.
      if (Date.now() - lastWarning < 10_000) return;
      lastWarning = Date.now();
      env.logger.warn(
        { policy: 'rate-limit', scope: env.scope.key, reason: (error as Error)?.message },
        'rate-limit store failed; admitting requests',
      );
    };
    const approximate =
      config.mode === 'approximate'
        ? new ApproximateRateLimiter({
            store: env.counters,
            windowMs,
            algorithm,
            syncIntervalMs: parseDuration(config.syncInterval),
            onSyncError: warn,
          })
        : undefined;

    const warnAndAdmit = (error: unknown): undefined => {
      warn(error);
      return undefined;
    };

    /** Applies a store answer: headers state, then 429 beyond the limit. */
    const apply = (ctx: RequestContext, result: HitResult | undefined): void => {
      if (result === undefined) return;
      const state: RateLimitState = {
        limit,
        limitText,
        remaining: Math.max(0, Math.floor(limit - result.count)),
        resetSeconds: Math.max(0, Math.ceil(result.resetMs / 1000)),
      };
      if (config.headers) record(ctx, state);
      if (result.count > limit) {
        const retryAfter = Math.max(1, state.resetSeconds);
        const headers: Record<string, string> = { 'retry-after': String(retryAfter) };
        if (config.headers) setHeaders(headers, state);
        throw new GatewayError('rate_limited', {
          detail: `The limit of ${limit} requests per ${config.window} is reached; retry in ${retryAfter} second(s).`,
          headers,
        });
      }
    };

    // The hit request of the last key, reused while the key repeats (the resolver hands out the same memoized
    // string, so the check is one pointer comparison): stores only read it.
    let lastHit: HitRequest | undefined;

    return {
      // Synchronous when the store answers synchronously (memory, approximate): no promise per request.
      request(ctx) {
        const counterKey = counterKeyOf(ctx);
        if (approximate) return apply(ctx, approximate.hit(counterKey, limit));
        let hit = lastHit;
        if (hit === undefined || hit.key !== counterKey) {
          hit = Object.freeze({ key: counterKey, windowMs, algorithm, limit });
          lastHit = hit;
        }
        let result: HitResult | Promise<HitResult>;
        try {
          result = env.counters.hit(hit);
        } catch (error) {
          return warnAndAdmit(error);
        }
        if (result instanceof Promise) return result.then((r) => apply(ctx, r), warnAndAdmit);
        return apply(ctx, result);
      },
      response: config.headers
        ? (ctx) => {
            const state = ctx.getLocal(STATE);
            if (state) setResponseHeaders(ctx.response, state);
          }
        : undefined,
      close: approximate ? () => approximate.close() : undefined,
    };
  },
});
