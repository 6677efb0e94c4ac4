import { describe, expect, it } from 'vitest';
import { ConfigError } from '../sdk/define.js';
import { createTestContext } from '../testing/context.js';
import { createPolicy } from '../testing/index.js';
import { timeoutPolicy } from './index.js';

describe('timeout', () => {
  it('sets the per-request response timeout', async () => {
    const ctx = createTestContext();
    await createPolicy(timeoutPolicy, { response: '1.5s' }).request!(ctx);
    expect(ctx.upstream.responseTimeoutMs).toBe(1500);
  });

  it('defaults to 30 seconds', async () => {
    const ctx = createTestContext();
    await createPolicy(timeoutPolicy, {}).request!(ctx);
    expect(ctx.upstream.responseTimeoutMs).toBe(30_000);
  });

  it('refuses malformed and zero durations', () => {
    expect(() => createPolicy(timeoutPolicy, { response: '10 seconds' })).toThrow(ConfigError);
    expect(() => createPolicy(timeoutPolicy, { response: '0ms' })).toThrow(/longer than 0ms/);
  });
});

describe('timeout example', () => {
  it('accepts its documented example', async () => {
    expect(timeoutPolicy.example.policy).toBe('timeout');
    const handlers = createPolicy(timeoutPolicy, timeoutPolicy.example.config);
    expect(Object.keys(handlers).length).toBeGreaterThan(0);
    await handlers.close?.();
  });
});
