import { describe, expect, it } from 'vitest';
import { instantiate } from '../json-schema/test-support/env.js';
import { ConfigError } from '../sdk/define.js';
import { createTestContext } from '../testing/context.js';
import { retryPolicy } from './index.js';

describe('retry', () => {
  it('sets the per-request retry overrides', async () => {
    const handlers = instantiate(retryPolicy, { attempts: 4, onStatus: [503] });
    const ctx = createTestContext();
    await handlers.request!(ctx);
    expect(ctx.upstream).toEqual({ retries: 4, retryOnStatus: [503] });
  });

  it('defaults to two extra attempts on 502, 503 and 504', async () => {
    const ctx = createTestContext();
    await instantiate(retryPolicy, {}).request!(ctx);
    expect(ctx.upstream).toEqual({ retries: 2, retryOnStatus: [502, 503, 504] });
  });

  it('can switch retries off for a route', async () => {
    const ctx = createTestContext();
    await instantiate(retryPolicy, { attempts: 0, onStatus: [] }).request!(ctx);
    expect(ctx.upstream).toEqual({ retries: 0, retryOnStatus: [] });
  });

  it('rejects out-of-range values', () => {
    expect(() => instantiate(retryPolicy, { attempts: 11 })).toThrow(ConfigError);
    expect(() => instantiate(retryPolicy, { onStatus: [404] })).toThrow(/onStatus/);
  });
});

describe('retry example', () => {
  it('accepts its documented example', async () => {
    expect(retryPolicy.example.policy).toBe('retry');
    const handlers = instantiate(retryPolicy, retryPolicy.example.config);
    expect(Object.keys(handlers).length).toBeGreaterThan(0);
    await handlers.close?.();
  });
});
