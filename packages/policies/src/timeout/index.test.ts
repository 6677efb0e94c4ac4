import { describe, expect, it } from 'vitest';
import { instantiate } from '../json-schema/test-support/env.js';
import { ConfigError } from '../sdk/define.js';
import { createTestContext } from '../testing/context.js';
import { timeoutPolicy } from './index.js';

describe('timeout', () => {
  it('sets the per-request response timeout', async () => {
    const ctx = createTestContext();
    await instantiate(timeoutPolicy, { response: '1.5s' }).request!(ctx);
    expect(ctx.upstream.responseTimeoutMs).toBe(1500);
  });

  it('defaults to 30 seconds', async () => {
    const ctx = createTestContext();
    await instantiate(timeoutPolicy, {}).request!(ctx);
    expect(ctx.upstream.responseTimeoutMs).toBe(30_000);
  });

  it('refuses malformed and zero durations', () => {
    expect(() => instantiate(timeoutPolicy, { response: '10 seconds' })).toThrow(ConfigError);
    expect(() => instantiate(timeoutPolicy, { response: '0ms' })).toThrow(/longer than 0ms/);
  });
});

describe('timeout example', () => {
  it('accepts its documented example', async () => {
    expect(timeoutPolicy.example.policy).toBe('timeout');
    const handlers = instantiate(timeoutPolicy, timeoutPolicy.example.config);
    expect(Object.keys(handlers).length).toBeGreaterThan(0);
    await handlers.close?.();
  });
});
