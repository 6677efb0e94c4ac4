import { GatewayError } from '@gatehouse/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../sdk/define.js';
import { MemoryCounterStore } from '../stores/memory-counters.js';
import { createTestContext } from '../testing/context.js';
import { createPolicy, testPolicyEnv } from '../testing/index.js';
import { quotaPolicy } from './index.js';
import { createPeriodCalculator } from './period.js';

const HOUR = 3_600_000;

async function rejection(promise: unknown): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

describe('quota periods', () => {
  it('a Europe/Paris day lasts 23 hours when DST starts and 25 hours when it ends', () => {
    const dayOf = createPeriodCalculator('day', 'Europe/Paris');
    const spring = dayOf(Date.parse('2024-03-31T12:00:00Z'));
    expect(new Date(spring.startMs).toISOString()).toBe('2024-03-30T23:00:00.000Z');
    expect(new Date(spring.endMs).toISOString()).toBe('2024-03-31T22:00:00.000Z');
    expect(spring.endMs - spring.startMs).toBe(23 * HOUR);

    const autumn = dayOf(Date.parse('2024-10-27T12:00:00Z'));
    expect(new Date(autumn.startMs).toISOString()).toBe('2024-10-26T22:00:00.000Z');
    expect(autumn.endMs - autumn.startMs).toBe(25 * HOUR);
  });

  it('a day just after local midnight belongs to the new local date, not the UTC one', () => {
    const dayOf = createPeriodCalculator('day', 'Europe/Paris');
    // 23:30 UTC on the 14th is 01:30 on the 15th in Paris (summer time).
    const bounds = dayOf(Date.parse('2024-07-14T23:30:00Z'));
    expect(new Date(bounds.startMs).toISOString()).toBe('2024-07-14T22:00:00.000Z');
  });

  it('weeks start on the configured weekday and months on the 1st, in the zone', () => {
    // Wednesday 2024-05-15.
    const wednesday = Date.parse('2024-05-15T10:00:00Z');
    expect(new Date(createPeriodCalculator('week', 'UTC', 'monday')(wednesday).startMs).toISOString()).toBe(
      '2024-05-13T00:00:00.000Z',
    );
    expect(new Date(createPeriodCalculator('week', 'UTC', 'sunday')(wednesday).startMs).toISOString()).toBe(
      '2024-05-12T00:00:00.000Z',
    );
    const month = createPeriodCalculator('month', 'America/New_York')(Date.parse('2024-03-20T12:00:00Z'));
    expect(new Date(month.startMs).toISOString()).toBe('2024-03-01T05:00:00.000Z');
    // April starts in daylight time (UTC-4).
    expect(new Date(month.endMs).toISOString()).toBe('2024-04-01T04:00:00.000Z');
    const december = createPeriodCalculator('month', 'UTC')(Date.parse('2024-12-31T23:59:00Z'));
    expect(new Date(december.endMs).toISOString()).toBe('2025-01-01T00:00:00.000Z');
  });

  it('rejects an unknown time zone at load', () => {
    expect(() => createPolicy(quotaPolicy, { timeZone: 'Mars/Olympus' })).toThrow(/unknown time zone/);
  });
});

describe('quota policy', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2024-03-31T20:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts per subscription, adds quota headers and answers 429 with Retry-After to the period end', async () => {
    const counters = new MemoryCounterStore();
    const quota = createPolicy(quotaPolicy, { limit: 2, timeZone: 'Europe/Paris' }, testPolicyEnv({ counters }));

    for (const remaining of [1, 0]) {
      const ctx = createTestContext({ subscriptionId: 'sub-a' });
      await quota.request!(ctx);
      await quota.response!(ctx);
      expect(ctx.response.headers['x-quota-limit']).toBe('2');
      expect(ctx.response.headers['x-quota-remaining']).toBe(String(remaining));
      // 20:00 UTC is 22:00 in Paris; the DST day ends at 22:00 UTC.
      expect(ctx.response.headers['x-quota-reset']).toBe('7200');
    }

    const error = await rejection(quota.request!(createTestContext({ subscriptionId: 'sub-a' })));
    expect(error.code).toBe('quota_exceeded');
    expect(error.status).toBe(429);
    expect(error.headers?.['retry-after']).toBe('7200');
    expect(error.headers?.['x-quota-remaining']).toBe('0');

    // Another subscription has its own quota.
    await expect(quota.request!(createTestContext({ subscriptionId: 'sub-b' }))).resolves.toBeUndefined();
  });

  it('passes the calendar window (start and DST length) to the counter store', async () => {
    const counters = new MemoryCounterStore();
    const hit = vi.spyOn(counters, 'hit');
    const quota = createPolicy(quotaPolicy, { limit: 5, timeZone: 'Europe/Paris' }, testPolicyEnv({ counters }));
    await quota.request!(createTestContext({ subscriptionId: 's' }));
    expect(hit).toHaveBeenCalledWith(
      expect.objectContaining({ windowStartMs: Date.parse('2024-03-30T23:00:00Z'), windowMs: 23 * HOUR, limit: 5 }),
    );
  });

  it('starts a fresh count when the local day changes', async () => {
    const quota = createPolicy(quotaPolicy, { limit: 1, timeZone: 'Europe/Paris' });
    await quota.request!(createTestContext({ subscriptionId: 's' }));
    expect((await rejection(quota.request!(createTestContext({ subscriptionId: 's' })))).code).toBe('quota_exceeded');
    vi.setSystemTime(new Date('2024-03-31T22:00:00Z'));
    await expect(quota.request!(createTestContext({ subscriptionId: 's' }))).resolves.toBeUndefined();
  });

  it('counts keyless requests per client IP and custom keys per CEL value', async () => {
    const byIp = createPolicy(quotaPolicy, { limit: 1 });
    await byIp.request!(createTestContext({ clientIp: '10.0.0.1' }));
    await byIp.request!(createTestContext({ clientIp: '10.0.0.2' }));
    expect((await rejection(byIp.request!(createTestContext({ clientIp: '10.0.0.1' })))).code).toBe('quota_exceeded');

    const counters = new MemoryCounterStore();
    const hit = vi.spyOn(counters, 'hit');
    const byTenant = createPolicy(
      quotaPolicy,
      { limit: 1, key: 'request.headers["x-tenant"]' },
      testPolicyEnv({ counters }),
    );
    await byTenant.request!(createTestContext({ headers: { 'x-tenant': 'secret-tenant-value' } }));
    await byTenant.request!(createTestContext({ headers: { 'x-tenant': 'other' } }));
    expect(
      (await rejection(byTenant.request!(createTestContext({ headers: { 'x-tenant': 'secret-tenant-value' } })))).code,
    ).toBe('quota_exceeded');
    // Raw key values never reach the store's key names.
    expect(hit).toHaveBeenCalledTimes(3);
    expect(JSON.stringify(hit.mock.calls)).not.toContain('secret-tenant-value');
  });

  it('falls back to the subscription when the key expression has no value, and rejects bad CEL at load', async () => {
    const quota = createPolicy(quotaPolicy, { limit: 1, key: 'request.headers["x-tenant"]' });
    await quota.request!(createTestContext({ subscriptionId: 's1' }));
    await quota.request!(createTestContext({ subscriptionId: 's2' }));
    expect((await rejection(quota.request!(createTestContext({ subscriptionId: 's1' })))).code).toBe('quota_exceeded');
    expect(() => createPolicy(quotaPolicy, { key: 'request.(' })).toThrow(/invalid CEL/);
  });

  it('validates its config', () => {
    expect(() => createPolicy(quotaPolicy, { limit: 0, period: 'year' })).toThrow(ConfigError);
  });

  it('omits headers when disabled', async () => {
    const quota = createPolicy(quotaPolicy, { headers: false });
    const ctx = createTestContext({ subscriptionId: 's' });
    await quota.request!(ctx);
    await quota.response!(ctx);
    expect(ctx.response.headers['x-quota-limit']).toBeUndefined();
  });

  it('approximate mode admits locally and reconciles with the shared store', async () => {
    const counters = new MemoryCounterStore();
    const scope = { kind: 'api' as const, key: 'shared-quota' };
    const gatewayA = createPolicy(
      quotaPolicy,
      { limit: 3, mode: 'approximate', syncInterval: '1h' },
      testPolicyEnv({ counters, scope }),
    );
    const gatewayB = createPolicy(
      quotaPolicy,
      { limit: 3, mode: 'approximate', syncInterval: '1h' },
      testPolicyEnv({ counters, scope }),
    );
    const add = vi.spyOn(counters, 'add');

    await gatewayA.request!(createTestContext({ subscriptionId: 's' }));
    await gatewayA.request!(createTestContext({ subscriptionId: 's' }));
    // Only the first sight of the key asked the store (a zero add to read the total).
    expect(add).toHaveBeenCalledTimes(1);
    expect(add.mock.calls[0]![2]).toBe(0);

    const [key, windowMs, , windowStartMs] = add.mock.calls[0]!;
    const sharedTotal = () => counters.add(key, windowMs, 0, windowStartMs);

    // Closing flushes the pending hits to the store; gateway B then sees them.
    await gatewayA.close!();
    expect(await sharedTotal()).toBe(2);
    await gatewayB.request!(createTestContext({ subscriptionId: 's' }));
    expect((await rejection(gatewayB.request!(createTestContext({ subscriptionId: 's' })))).code).toBe(
      'quota_exceeded',
    );
    await gatewayB.close!();
    expect(await sharedTotal()).toBe(3);
  });
});
