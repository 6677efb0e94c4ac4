/**
 * rate-limit: N requests per window per key (subscription, client IP, or a CEL key), counted in the
 * shared counter store so every gateway enforces one limit. Counters are namespaced by the policy's
 * stable scope key, so a config reload keeps them. A store in trouble never fails a request: a
 * degraded store counts locally, and an error admits the request.
 */
import { GatewayError, parseDuration } from '@gatehouse/core';
import type { HitResult } from '../sdk/counters/types.js';
import { definePolicy } from '../sdk/define.js';
import { createKeyResolver } from '../sdk/traffic-key.js';
import type { RequestContext } from '../sdk/types.js';
import { ApproximateCounter } from './approximate.js';
import { RateLimitConfig } from './schema.js';

interface RateLimitState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/**
 * Header values per request, shared by every rate-limit instance on the route so the client sees
 * the most restrictive one. Keyed by the request context, so it is released with the request.
 */
const statesByRequest = new WeakMap<RequestContext, RateLimitState>();

function record(ctx: RequestContext, state: RateLimitState): void {
  const previous = statesByRequest.get(ctx);
  const tighter =
    !previous ||
    state.remaining < previous.remaining ||
    (state.remaining === previous.remaining && state.resetSeconds > previous.resetSeconds);
  if (tighter) statesByRequest.set(ctx, state);
}

function headersOf(state: RateLimitState): Record<string, string> {
  return {
    'ratelimit-limit': String(state.limit),
    'ratelimit-remaining': String(state.remaining),
    'ratelimit-reset': String(state.resetSeconds),
  };
}

export const rateLimitPolicy = definePolicy<RateLimitConfig>({
  name: 'rate-limit',
  version: '1.0.0',
  category: 'traffic',
  summary:
    'Limits requests per subscription, client IP or CEL key in a fixed or sliding window, shared across gateways; answers 429 with Retry-After and sends RateLimit-* headers. In approximate mode a window admits at most limit + (G - 1) x min(limit, r x syncInterval) with G gateways at r requests/s each.',
  configSchema: RateLimitConfig,
  example: { policy: 'rate-limit', config: { limit: 100, window: '1m', algorithm: 'sliding' } },
  phases: ['request', 'response'],
  create(config, env) {
    const windowMs = parseDuration(config.window);
    if (windowMs < 1) throw new Error('window must be at least 1ms');
    const { limit, algorithm } = config;
    const identityOf = createKeyResolver(config.key ?? '', env);
    // The window length is part of the namespace: counts of a 1m window mean nothing to a 1h one.
    const namespace = `rl:${env.scope.key}:${windowMs}`;
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
        ? new ApproximateCounter({
            store: env.counters,
            windowMs,
            algorithm,
            syncIntervalMs: parseDuration(config.syncInterval),
            onSyncError: warn,
          })
        : undefined;

    const count = async (counterKey: string): Promise<HitResult | undefined> => {
      if (approximate) return approximate.hit(counterKey, limit);
      try {
        return await env.counters.hit({ key: counterKey, windowMs, algorithm, limit });
      } catch (error) {
        warn(error);
        return undefined;
      }
    };

    return {
      async request(ctx) {
        const result = await count(`${namespace}:${identityOf(ctx)}`);
        if (result === undefined) return;
        const state: RateLimitState = {
          limit,
          remaining: Math.max(0, Math.floor(limit - result.count)),
          resetSeconds: Math.max(0, Math.ceil(result.resetMs / 1000)),
        };
        if (config.headers) record(ctx, state);
        if (result.count > limit) {
          const retryAfter = Math.max(1, state.resetSeconds);
          throw new GatewayError('rate_limited', {
            detail: `The limit of ${limit} requests per ${config.window} is reached; retry in ${retryAfter} second(s).`,
            headers: { ...(config.headers ? headersOf(state) : {}), 'retry-after': String(retryAfter) },
          });
        }
      },
      response: config.headers
        ? (ctx) => {
            const state = statesByRequest.get(ctx);
            if (state) Object.assign(ctx.response.headers, headersOf(state));
          }
        : undefined,
      close: approximate ? () => approximate.close() : undefined,
    };
  },
});
