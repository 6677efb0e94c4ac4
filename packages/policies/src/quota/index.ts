/**
 * quota: a number of requests per calendar day, week or month (in a configured time zone) per
 * subscription, client IP or CEL key; shared across gateways through env.counters (Redis when
 * configured). Exact mode counts every request in the store; approximate mode reconciles on an interval.
 */
import { GatewayError, parseDuration } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import { createKeyResolver } from '../sdk/traffic-key.js';
import { RequestLocal } from '../sdk/types.js';
import { ApproximateQuotaCounter } from './approximate.js';
import { quotaContract } from './contract.js';
import { createPeriodCalculator, type PeriodBounds } from './period.js';
import type { QuotaConfig } from './schema.js';

interface QuotaState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

export const quotaPolicy = definePolicy<QuotaConfig>({
  ...quotaContract,
  create(config, env) {
    const periodOf = createPeriodCalculator(config.period, config.timeZone, config.weekStart);
    const keyOf = createKeyResolver(config.key, env);
    const { limit } = config;
    let cached: PeriodBounds = { startMs: 0, endMs: 0 };
    // Bounds change once a period: recompute only when the cached period is over.
    const boundsAt = (now: number): PeriodBounds => {
      if (now < cached.startMs || now >= cached.endMs) cached = periodOf(now);
      return cached;
    };
    // Headers computed in the request phase for the response phase, keyed by request so nothing
    // per-request is held once the request is gone.
    const states = new RequestLocal<QuotaState>('quota');
    const approximate =
      config.mode === 'approximate'
        ? new ApproximateQuotaCounter(env.counters, limit, parseDuration(config.syncInterval), (error) =>
            env.logger.warn({ err: error, policy: 'quota' }, 'quota reconcile with the counter store failed'),
          )
        : undefined;

    const count = async (key: string, bounds: PeriodBounds): Promise<{ admitted: boolean; count: number }> => {
      if (approximate) return approximate.admit(key, bounds);
      const result = await env.counters.hit({
        key,
        windowMs: bounds.endMs - bounds.startMs,
        windowStartMs: bounds.startMs,
        algorithm: 'fixed',
        limit,
      });
      return { admitted: result.count <= limit, count: result.count };
    };

    return {
      async request(ctx) {
        const now = Date.now();
        const bounds = boundsAt(now);
        // The period start is part of the key so a new period never reads the last one's count.
        const key = `quota:${env.scope.key}:${keyOf(ctx)}:${bounds.startMs}`;
        const result = await count(key, bounds);
        const state: QuotaState = {
          limit,
          remaining: Math.max(0, limit - result.count),
          resetSeconds: Math.max(1, Math.ceil((bounds.endMs - now) / 1000)),
        };
        if (!result.admitted) {
          throw new GatewayError('quota_exceeded', {
            detail: `The quota of ${limit} requests per ${config.period} is used up; it resets in ${state.resetSeconds} seconds.`,
            headers: {
              'retry-after': String(state.resetSeconds),
              ...(config.headers ? quotaHeaders({ ...state, remaining: 0 }) : {}),
            },
          });
        }
        if (config.headers) ctx.setLocal(states, state);
      },
      response(ctx) {
        const state = ctx.getLocal(states);
        if (!state) return;
        for (const [name, value] of Object.entries(quotaHeaders(state))) ctx.response.setHeader(name, value);
      },
      close: () => approximate?.close(),
    };
  },
});

function quotaHeaders(state: QuotaState): Record<string, string> {
  return {
    'x-quota-limit': String(state.limit),
    'x-quota-remaining': String(state.remaining),
    'x-quota-reset': String(state.resetSeconds),
  };
}
