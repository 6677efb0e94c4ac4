import { describe, expect, it } from 'vitest';
import { ConfigError } from '../sdk/define.js';
import { createTestContext } from '../testing/context.js';
import { createPolicy } from '../testing/index.js';
import { retryPolicy } from './index.js';

describe('retry', () => {
  it('sets the per-request retry overrides', async () => {
    const handlers = createPolicy(retryPolicy, { attempts: 4, onStatus: [503] });
    const ctx = createTestContext();
    await handlers.request!(ctx);
    expect(ctx.upstream).toEqual({ retries: 4, retryOnStatus: [503] });
  });

  it('defaults to two extra attempts on 502, 503 and 504', async () => {
    const ctx = createTestContext();
    await createPolicy(retryPolicy, {}).request!(ctx);
    expect(ctx.upstream).toEqual({ retries: 2, retryOnStatus: [502, 503, 504] });
  });

  it('can switch retries off for a route', async () => {
    const ctx = createTestContext();
    await createPolicy(retryPolicy, { attempts: 0, onStatus: [] }).request!(ctx);
    expect(ctx.upstream).toEqual({ retries: 0, retryOnStatus: [] });
  });

  it('rejects out-of-range values', () => {
    expect(() => createPolicy(retryPolicy, { attempts: 11 })).toThrow(ConfigError);
    expect(() => createPolicy(retryPolicy, { onStatus: [404] })).toThrow(/onStatus/);
  });
});

describe('retry example', () => {
  it('accepts its documented example', async () => {
    expect(retryPolicy.example.policy).toBe('retry');
    const handlers = createPolicy(retryPolicy, retryPolicy.example.config);
    expect(Object.keys(handlers).length).toBeGreaterThan(0);
    await handlers.close?.();
  });
});
