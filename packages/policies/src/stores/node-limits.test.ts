/**
 * env.nodeLimits: two instances of spike-arrest or concurrency-limit given the same NodeLimits (as the
 * workers of one node are, through their primary) share one bucket and one pool of slots.
 */
import { GatewayError } from '@gatehouse/core';
import { afterEach, describe, expect, it } from 'vitest';
import { concurrencyLimitPolicy } from '../concurrency-limit/index.js';
import type { PolicyHandlers } from '../sdk/types.js';
import { spikeArrestPolicy } from '../spike-arrest/index.js';
import { createTestContext } from '../testing/context.js';
import { createPolicy, testPolicyEnv } from '../testing/index.js';
import { LocalNodeLimits } from './node-limits.js';

async function outcome(policy: PolicyHandlers, ctx = createTestContext({ subscriptionId: 'sub' })): Promise<string> {
  try {
    await policy.request!(ctx);
    return 'ok';
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return String(error.status);
  }
}

describe('policies on one node share its limits', () => {
  const limits: LocalNodeLimits[] = [];
  afterEach(() => {
    for (const l of limits.splice(0)) l.close();
  });
  const nodeEnv = (nodeLimits: LocalNodeLimits) => testPolicyEnv({ nodeLimits });

  it('spike-arrest: two instances (two workers) admit one burst between them', async () => {
    const node = new LocalNodeLimits();
    limits.push(node);
    const a = createPolicy(spikeArrestPolicy, { rate: '1/m', burst: 3 }, nodeEnv(node));
    const b = createPolicy(spikeArrestPolicy, { rate: '1/m', burst: 3 }, nodeEnv(node));
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await outcome(a), await outcome(b));
    expect(results.filter((r) => r === 'ok')).toHaveLength(3);
    expect(results.filter((r) => r === '429')).toHaveLength(5);
  });

  it('concurrency-limit: two instances share the slots, and a finished request gives its slot back', async () => {
    const node = new LocalNodeLimits();
    limits.push(node);
    const config = { limit: 2 };
    const a = createPolicy(concurrencyLimitPolicy, config, nodeEnv(node));
    const b = createPolicy(concurrencyLimitPolicy, config, nodeEnv(node));
    const first = createTestContext({ subscriptionId: 'sub' });
    expect(await outcome(a, first)).toBe('ok');
    expect(await outcome(b)).toBe('ok');
    expect(await outcome(a)).toBe('429');
    expect(await outcome(b)).toBe('429');
    first.finish();
    expect(await outcome(b)).toBe('ok');
  });
});
