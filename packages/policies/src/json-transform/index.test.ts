import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { createTestContext } from '../testing/context.js';
import { createPolicy } from '../testing/index.js';
import { jsonTransformPolicy } from './index.js';

const json = { 'content-type': 'application/json' };

async function failure(promise: unknown): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

describe('json-transform', () => {
  it('reshapes the request body with bindings for claims, attributes and request', async () => {
    const policy = createPolicy(jsonTransformPolicy, {
      expression:
        '{"ids": items.id, "total": $sum(items.price), "user": $claims.sub, "tier": $attributes.tier, "method": $request.method}',
    });
    const ctx = createTestContext({
      method: 'POST',
      headers: json,
      claims: { sub: 'alice' },
      body: JSON.stringify({
        items: [
          { id: 'a', price: 2 },
          { id: 'b', price: 3 },
        ],
      }),
    });
    ctx.attributes.tier = 'gold';
    await policy.request!(ctx);
    expect(JSON.parse(ctx.forwardedBody()!.toString())).toEqual({
      ids: ['a', 'b'],
      total: 5,
      user: 'alice',
      tier: 'gold',
      method: 'POST',
    });
    expect(ctx.request.headers['content-length']).toBe(String(ctx.forwardedBody()!.length));
  });

  it('transforms responses with $response and answers 502 on broken upstream JSON', async () => {
    const policy = createPolicy(jsonTransformPolicy, {
      phase: 'response',
      expression: '{"status": $response.status, "data": $}',
    });
    const ctx = createTestContext({ response: { status: 201, headers: json, body: '[1,2]' } });
    await policy.response!(ctx);
    expect(JSON.parse((await ctx.response.readBody()).toString())).toEqual({ status: 201, data: [1, 2] });

    const broken = createTestContext({ response: { headers: json, body: '[1,' } });
    expect((await failure(policy.response!(broken))).code).toBe('upstream_bad_response');
  });

  it('leaves problem documents produced by the gateway alone', async () => {
    const policy = createPolicy(jsonTransformPolicy, { phase: 'response', expression: '{"wrapped": $}' });
    const ctx = createTestContext();
    const problem = JSON.stringify({ code: 'quota_exceeded', status: 429 });
    ctx.respond(429, { 'content-type': 'application/problem+json' }, problem);
    await policy.response!(ctx);
    expect((await ctx.response.readBody()).toString()).toBe(problem);

    // The same media type from the upstream is transformed.
    const upstream = createTestContext({
      response: { headers: { 'content-type': 'application/problem+json' }, body: '{"a":1}' },
    });
    await policy.response!(upstream);
    expect(JSON.parse((await upstream.response.readBody()).toString())).toEqual({ wrapped: { a: 1 } });
  });

  it('writes null when the expression has no result', async () => {
    const policy = createPolicy(jsonTransformPolicy, { expression: 'missing.field' });
    const ctx = createTestContext({ headers: json, body: '{"a":1}' });
    await policy.request!(ctx);
    expect(ctx.forwardedBody()!.toString()).toBe('null');
  });

  it('stops runaway evaluations with policy_error', async () => {
    const policy = createPolicy(jsonTransformPolicy, {
      expression: '($loop := function($n) { $n > 0 ? $loop($n - 1) : 0 }; $loop(100000))',
      timeout: '50ms',
      maxDepth: 50,
    });
    const error = await failure(policy.request!(createTestContext({ headers: json, body: '{}' })));
    expect(error.code).toBe('policy_error');
    expect(error.detail).toMatch(/nested too deeply|longer than/);

    const slow = createPolicy(jsonTransformPolicy, {
      expression: '$count([1..5000000][$ % 2 = 0])',
      timeout: '20ms',
      maxDepth: 10000,
    });
    // Only the timeout produces this answer: unbounded, the expression completes and yields a result.
    const timeout = await failure(slow.request!(createTestContext({ headers: json, body: '{}' })));
    expect(timeout.detail).toBe('The transformation took longer than 20ms.');
  });

  it('answers 400 for invalid request JSON and passes non-JSON bodies through', async () => {
    const policy = createPolicy(jsonTransformPolicy, { expression: '{"x": 1}' });
    expect((await failure(policy.request!(createTestContext({ headers: json, body: '{' })))).code).toBe('bad_request');
    const text = createTestContext({ headers: { 'content-type': 'text/plain' }, body: 'hello' });
    await policy.request!(text);
    expect(text.forwardedBody()!.toString()).toBe('hello');
  });

  it('refuses a body nested deeper than maxBodyDepth with 400 before parsing it', async () => {
    const policy = createPolicy(jsonTransformPolicy, { expression: '$' });
    const deep = createTestContext({ headers: json, body: `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}` });
    expect((await failure(policy.request!(deep))).code).toBe('bad_request');
  });

  it('rejects invalid JSONata at load', () => {
    expect(() => createPolicy(jsonTransformPolicy, { expression: '{"a": ' })).toThrow(/invalid JSONata expression/);
    expect(() => createPolicy(jsonTransformPolicy, { expression: '$match(s, /a(?=b)/)' })).toThrow(
      /^expression \/a\(\?=b\)\/: not a valid RE2 regular expression/,
    );
  });

  it('runs regex literals on RE2: match, replace, split and contains; backtracking-proof', async () => {
    const policy = createPolicy(jsonTransformPolicy, {
      expression:
        '{"m": $match(s, /(\\w)(\\d)/).groups, "r": $replace(s, /(\\w)(\\d)/i, "$2$1"), "p": $split(s, / /), "c": $contains(s, /B2/i), "evil": $contains(evil, /^(a+)+$/)}',
    });
    const ctx = createTestContext({
      headers: json,
      body: JSON.stringify({ s: 'a1 b2', evil: `${'a'.repeat(40)}!` }),
    });
    const started = performance.now();
    await policy.request!(ctx);
    // About a hang, not speed: a backtracking engine needs hours on this input, RE2 microseconds;
    // the bound only separates the two, on a machine under any load.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(JSON.parse(ctx.forwardedBody()!.toString())).toEqual({
      m: ['a', '1', 'b', '2'],
      r: '1a 2b',
      p: ['a1', 'b2'],
      c: true,
      evil: false,
    });
  });
});
