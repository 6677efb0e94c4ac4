import { GatewayError } from '@gatehouse/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CounterStore } from '../sdk/counters/types.js';
import { validatePolicyConfig } from '../sdk/define.js';
import type { PolicyEnvironment, PolicyHandlers } from '../sdk/types.js';
import { MemoryCounterStore } from '../stores/memory-counters.js';
import { createTestContext, type TestContextInit } from '../testing/context.js';
import { testPolicyEnv } from '../testing/index.js';
import { rateLimitPolicy } from './index.js';

function policy(rawConfig: unknown, env: Partial<PolicyEnvironment> = {}): PolicyHandlers {
  return rateLimitPolicy.create(validatePolicyConfig(rateLimitPolicy, rawConfig, 'config'), testPolicyEnv(env));
}

/** Runs one request through the policy as the gateway would: request phase, then response phase. */
async function call(handlers: PolicyHandlers[] | PolicyHandlers, init: TestContextInit = { subscriptionId: 'sub-1' }) {
  const list = Array.isArray(handlers) ? handlers : [handlers];
  const ctx = createTestContext(init);
  let error: GatewayError | undefined;
  try {
    for (const h of list) await h.request?.(ctx);
  } catch (e) {
    if (!(e instanceof GatewayError)) throw e;
    error = e;
  }
  for (const h of list) await h.response?.(ctx);
  return { ctx, error, headers: ctx.response.headers };
}

beforeEach(() => {
  vi.useFakeTimers();
  // 10:00:15 into an aligned minute.
  vi.setSystemTime(60_000 * 29_000_000 + 15_000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('rate-limit', () => {
  it('admits `limit` requests per window, with RateLimit headers, then answers 429 with Retry-After', async () => {
    const handlers = policy({ limit: 3, window: '1m' });
    const remaining = [];
    for (let i = 0; i < 3; i++) {
      const { error, headers } = await call(handlers);
      expect(error).toBeUndefined();
      expect(headers['ratelimit-limit']).toBe('3');
      expect(headers['ratelimit-reset']).toBe('45');
      remaining.push(headers['ratelimit-remaining']);
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const { error, headers } = await call(handlers);
    expect(error?.code).toBe('rate_limited');
    expect(error?.status).toBe(429);
    expect(error?.headers).toMatchObject({ 'retry-after': '45', 'ratelimit-remaining': '0', 'ratelimit-limit': '3' });
    expect(headers['ratelimit-remaining']).toBe('0');

    // Refused requests are not counted: the next window starts from zero.
    vi.advanceTimersByTime(45_000);
    const next = await call(handlers);
    expect(next.error).toBeUndefined();
    expect(next.headers['ratelimit-remaining']).toBe('2');
    expect(next.headers['ratelimit-reset']).toBe('60');
  });

  it('counts each subscription separately, and keyless requests per client IP', async () => {
    const handlers = policy({ limit: 1, window: '1m' });
    expect((await call(handlers, { subscriptionId: 'a' })).error).toBeUndefined();
    expect((await call(handlers, { subscriptionId: 'b' })).error).toBeUndefined();
    expect((await call(handlers, { subscriptionId: 'a' })).error?.code).toBe('rate_limited');

    expect((await call(handlers, { clientIp: '10.0.0.1' })).error).toBeUndefined();
    expect((await call(handlers, { clientIp: '10.0.0.2' })).error).toBeUndefined();
    expect((await call(handlers, { clientIp: '10.0.0.1' })).error?.code).toBe('rate_limited');
  });

  it('keys on a CEL expression, hashing the value, and falls back to the default key when it is empty', async () => {
    const counters = new MemoryCounterStore();
    const hits = vi.spyOn(counters, 'hit');
    const handlers = policy({ limit: 1, window: '1m', key: 'request.headers["x-tenant"]' }, { counters });
    const tenant = (name: string, subscriptionId: string) => ({ subscriptionId, headers: { 'x-tenant': name } });
    expect((await call(handlers, tenant('secret-tenant', 's1'))).error).toBeUndefined();
    // Same tenant through another subscription shares the counter.
    expect((await call(handlers, tenant('secret-tenant', 's2'))).error?.code).toBe('rate_limited');
    expect((await call(handlers, tenant('other-tenant', 's1'))).error).toBeUndefined();
    const keys = () => hits.mock.calls.map(([request]) => request.key);
    expect(keys().join()).not.toContain('secret-tenant');
    // No header: the subscription is the key.
    expect((await call(handlers, { subscriptionId: 's9' })).error).toBeUndefined();
    expect(keys().at(-1)).toMatch(/:sub:s9$/);
  });

  it('keeps counters across a reload (same scope key) and separates scopes', async () => {
    const counters = new MemoryCounterStore();
    const scope = { kind: 'plan' as const, key: 'orders/plan:gold/rate-limit#0' };
    const before = policy({ limit: 2, window: '1m' }, { counters, scope });
    await call(before);
    const reloaded = policy({ limit: 2, window: '1m' }, { counters, scope });
    expect((await call(reloaded)).headers['ratelimit-remaining']).toBe('0');
    const otherScope = policy(
      { limit: 2, window: '1m' },
      { counters, scope: { kind: 'route', key: 'orders/route:x' } },
    );
    expect((await call(otherScope)).headers['ratelimit-remaining']).toBe('1');
  });

  it('smooths the boundary burst with the sliding algorithm', async () => {
    vi.setSystemTime(60_000 * 29_000_000 + 54_000);
    const handlers = policy({ limit: 10, window: '1m', algorithm: 'sliding' });
    for (let i = 0; i < 10; i++) expect((await call(handlers)).error).toBeUndefined();
    // Next window, 10% in: the previous 10 still weigh 9, so one request fits.
    vi.advanceTimersByTime(12_000);
    expect((await call(handlers)).error).toBeUndefined();
    const refused = await call(handlers);
    expect(refused.error?.code).toBe('rate_limited');
    // It fits again once the previous window weighs 8 (20% in): 6 seconds later.
    expect(refused.error?.headers?.['retry-after']).toBe('6');
  });

  it('reports the most restrictive of several rate limits', async () => {
    const perSecond = policy({ limit: 2, window: '1s' }, { scope: { kind: 'route', key: 'a' } });
    const perMinute = policy({ limit: 100, window: '1m' }, { scope: { kind: 'plan', key: 'b' } });
    const { headers } = await call([perMinute, perSecond]);
    expect(headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '1', 'ratelimit-reset': '1' });
  });

  it('can leave the headers out', async () => {
    const { headers } = await call(policy({ limit: 1, window: '1m', headers: false }));
    expect(headers['ratelimit-limit']).toBeUndefined();
  });

  it('keeps serving when the store is degraded or failing', async () => {
    const degraded: CounterStore = {
      kind: 'redis',
      hit: async () => ({ count: 1, resetMs: 1000, degraded: true }),
      peek: async () => ({ count: 1, resetMs: 1000, degraded: true }),
      add: async (_k, _w, delta) => delta,
      close: async () => {},
    };
    expect((await call(policy({ limit: 5, window: '1m' }, { counters: degraded }))).error).toBeUndefined();
    const failing: CounterStore = { ...degraded, hit: async () => Promise.reject(new Error('connection reset')) };
    const { error, headers } = await call(policy({ limit: 5, window: '1m' }, { counters: failing }));
    expect(error).toBeUndefined();
    expect(headers['ratelimit-limit']).toBeUndefined();
  });

  it('rejects invalid configs', () => {
    expect(() => validatePolicyConfig(rateLimitPolicy, { limit: 0, window: '1m' }, 'config')).toThrow(/limit/);
    expect(() => validatePolicyConfig(rateLimitPolicy, { limit: 5, window: 'soon' }, 'config')).toThrow(/window/);
    expect(() =>
      validatePolicyConfig(rateLimitPolicy, { limit: 5, window: '1m', algorithm: 'leaky' }, 'config'),
    ).toThrow(/algorithm/);
    expect(() => policy({ limit: 5, window: '1m', key: 'request.headers[' })).toThrow(/CEL/);
  });
});
