import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { validatePolicyConfig } from '../sdk/define.js';
import { createTestContext, type TestContextInit } from '../testing/context.js';
import { testPolicyEnv } from '../testing/index.js';
import { requestSizePolicy } from './index.js';

async function check(rawConfig: unknown, init: TestContextInit) {
  const handlers = requestSizePolicy.create(
    validatePolicyConfig(requestSizePolicy, rawConfig, 'config'),
    testPolicyEnv(),
  );
  const ctx = createTestContext(init);
  try {
    await handlers.preSecurity?.(ctx);
    return { ctx, error: undefined };
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return { ctx, error };
  }
}

describe('request-size', () => {
  it('refuses a Content-Length above max at once with 413, without reading the body', async () => {
    const { ctx, error } = await check(
      { max: '1kb' },
      { method: 'POST', headers: { 'content-length': '1025' }, body: 'x' },
    );
    expect(error?.code).toBe('payload_too_large');
    expect(error?.status).toBe(413);
    expect(error?.detail).toContain('1024');
    // Nothing was buffered or replaced.
    expect(ctx.forwardedBody()?.toString()).toBe('x');
  });

  it('admits a Content-Length at or under max', async () => {
    expect(
      (await check({ max: '1kb' }, { method: 'POST', headers: { 'content-length': '1024' }, body: 'x'.repeat(1024) }))
        .error,
    ).toBeUndefined();
  });

  it('measures a chunked body (no Content-Length) by reading it up to max', async () => {
    const big = await check(
      { max: '100' },
      { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: 'y'.repeat(101) },
    );
    expect(big.error?.code).toBe('payload_too_large');
    const small = await check(
      { max: '100' },
      { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: 'y'.repeat(100) },
    );
    expect(small.error).toBeUndefined();
    expect(small.ctx.forwardedBody()?.length).toBe(100);
  });

  it('ignores requests without a body and defaults max to 1mb', async () => {
    expect((await check({}, { method: 'GET' })).error).toBeUndefined();
    expect(
      (await check({}, { method: 'POST', headers: { 'content-length': String(1024 * 1024 + 1) } })).error?.status,
    ).toBe(413);
    expect(() => validatePolicyConfig(requestSizePolicy, { max: 'big' }, 'config')).toThrow(/size/);
  });
});
