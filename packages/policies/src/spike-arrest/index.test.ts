import { GatewayError } from '@gatehouse/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../sdk/define.js';
import type { PolicyHandlers } from '../sdk/types.js';
import { MemoryCounterStore } from '../stores/memory-counters.js';
import { createTestContext } from '../testing/context.js';
import { createPolicy, testPolicyEnv } from '../testing/index.js';
import { GcraLimiter } from './gcra.js';
import { spikeArrestPolicy } from './index.js';

const T0 = Date.parse('2024-06-01T00:00:00Z');

async function outcome(policy: PolicyHandlers, init: Parameters<typeof createTestContext>[0] = {}): Promise<string> {
  try {
    await policy.request!(createTestContext({ subscriptionId: 'sub', ...init }));
    return 'ok';
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return `${error.status} ${error.code} retry-after=${error.headers?.['retry-after']}`;
  }
}

describe('spike-arrest', () => {
  const policies: PolicyHandlers[] = [];
  const create = (config: unknown, env = testPolicyEnv()) => {
    const policy = createPolicy(spikeArrestPolicy, config, env);
    policies.push(policy);
    return policy;
  };

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(async () => {
    for (const policy of policies.splice(0)) await policy.close?.();
    vi.useRealTimers();
  });

  it('admits one request per interval (10/s = every 100 ms)', async () => {
    const policy = create({ rate: '10/s' });
    expect(await outcome(policy)).toBe('ok');
    vi.setSystemTime(T0 + 50);
    expect(await outcome(policy)).toBe('429 rate_limited retry-after=1');
    vi.setSystemTime(T0 + 100);
    expect(await outcome(policy)).toBe('ok');
    vi.setSystemTime(T0 + 199);
    expect(await outcome(policy)).toMatch(/^429/);
    vi.setSystemTime(T0 + 200);
    expect(await outcome(policy)).toBe('ok');
  });

  it('lets a burst through, then spaces requests', async () => {
    const policy = create({ rate: '600/m', burst: 3 });
    expect([await outcome(policy), await outcome(policy), await outcome(policy)]).toEqual(['ok', 'ok', 'ok']);
    expect(await outcome(policy)).toMatch(/^429/);
    vi.setSystemTime(T0 + 100);
    expect(await outcome(policy)).toBe('ok');
    expect(await outcome(policy)).toMatch(/^429/);
  });

  it('rounds Retry-After up to whole seconds', async () => {
    const policy = create({ rate: '1/m' });
    await outcome(policy);
    vi.setSystemTime(T0 + 1_500);
    expect(await outcome(policy)).toBe('429 rate_limited retry-after=59');
  });

  it('keeps a bucket per key', async () => {
    const policy = create({ rate: '1/s', key: 'request.ip' });
    expect(await outcome(policy, { clientIp: '10.0.0.1' })).toBe('ok');
    expect(await outcome(policy, { clientIp: '10.0.0.2' })).toBe('ok');
    expect(await outcome(policy, { clientIp: '10.0.0.1' })).toMatch(/^429/);
  });

  it('distributed mode shares windows of burst intervals through the counter store', async () => {
    const counters = new MemoryCounterStore();
    const scope = { kind: 'api' as const, key: 'spike-shared' };
    const gatewayA = create({ rate: '10/s', burst: 2, distributed: true }, testPolicyEnv({ counters, scope }));
    const gatewayB = create({ rate: '10/s', burst: 2, distributed: true }, testPolicyEnv({ counters, scope }));
    expect(await outcome(gatewayA)).toBe('ok');
    expect(await outcome(gatewayB)).toBe('ok');
    expect(await outcome(gatewayA)).toMatch(/^429 rate_limited/);
    vi.setSystemTime(T0 + 200);
    expect(await outcome(gatewayB)).toBe('ok');
  });

  it('rejects malformed rates', () => {
    expect(() => create({ rate: '10 per second' })).toThrow(ConfigError);
    expect(() => create({ rate: '0/s' })).toThrow(ConfigError);
    expect(() => create({ burst: 0 })).toThrow(ConfigError);
  });
});

describe('GcraLimiter', () => {
  it('forgets drained buckets on prune', () => {
    const limiter = new GcraLimiter(100, 1);
    limiter.take('a', 0);
    limiter.take('b', 50);
    limiter.prune(120);
    expect(limiter.size).toBe(1);
    limiter.prune(150);
    expect(limiter.size).toBe(0);
  });
});
