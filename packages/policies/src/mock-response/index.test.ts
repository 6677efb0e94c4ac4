// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { createAtPath, validatePolicyConfig } from '../sdk/define.js';
import { createTestContext } from '../testing/context.js';
import { testPolicyEnv } from '../testing/index.js';
import { mockResponsePolicy } from './index.js';

function policy(rawConfig: unknown) {
  return createAtPath('config', () =>
    mockResponsePolicy.create(validatePolicyConfig(mockResponsePolicy, rawConfig, 'config'), testPolicyEnv()),
  );
}

describe('mock-response', () => {
  it('answers with the configured status, headers and templated body', async () => {
    const handlers = policy({
      status: 201,
      headers: { 'Content-Type': 'application/json', 'x-echo': '${request.method}' },
      body: '{"path":"${request.path}","app":"${context.application}"}',
    });
    const ctx = createTestContext({ method: 'POST', path: '/ping', application: { id: 'acme', name: 'ACME' } });
    await handlers.request?.(ctx);
    expect(ctx.shortCircuit?.status).toBe(201);
    expect(ctx.shortCircuit?.headers).toEqual({ 'content-type': 'application/json', 'x-echo': 'POST' });
    expect(JSON.parse(ctx.shortCircuit!.body.toString())).toEqual({ path: '/ping', app: 'acme' });
  });

  it('defaults to 200 with an empty body, and labels a text body without content-type', async () => {
    const empty = createTestContext();
    await policy({}).request?.(empty);
    expect(empty.shortCircuit).toEqual({ status: 200, headers: {}, body: Buffer.alloc(0) });
    const text = createTestContext();
    await policy({ body: 'maintenance' }).request?.(text);
    expect(text.shortCircuit?.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('turns a template that fails at runtime into a policy_error', async () => {
    const ctx = createTestContext();
    const handlers = policy({ body: '${claims.sub.x}' });
    await expect((async () => handlers.request?.(ctx))()).rejects.toSatisfy(
      (e) => e instanceof GatewayError && e.code === 'policy_error',
    );
  });

  it('rejects invalid configs at load', () => {
    expect(() => policy({ status: 99 })).toThrow(/status/);
    expect(() => policy({ body: '${request.(}' })).toThrow(/body/);
    expect(() => policy({ headers: { 'bad header': 'x' } })).toThrow();
  });
});
