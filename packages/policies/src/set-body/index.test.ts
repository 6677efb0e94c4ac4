// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { compileExpression } from '../sdk/expression.js';
import { createTestContext } from '../testing/context.js';
import { createPolicy } from '../testing/index.js';
import { setBodyPolicy } from './index.js';
import { compileBodyTemplate } from './template.js';

describe('set-body', () => {
  it('renders the request body with JSON-encoded values and sets Content-Type and Content-Length', async () => {
    const policy = createPolicy(setBodyPolicy, {
      body: '{"user": ${ claims.sub }, "roles": ${ claims.roles }, "path": ${ request.path }, "tier": ${ attributes.tier }}',
    });
    const ctx = createTestContext({
      method: 'POST',
      path: '/orders',
      body: 'old body',
      headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' },
      claims: { sub: 'alice "the admin"', roles: ['a', 'b'] },
    });
    ctx.attributes.tier = 'gold';
    await policy.request!(ctx);
    const body = ctx.forwardedBody()!.toString();
    expect(JSON.parse(body)).toEqual({ user: 'alice "the admin"', roles: ['a', 'b'], path: '/orders', tier: 'gold' });
    expect(ctx.request.headers['content-type']).toBe('application/json');
    expect(ctx.request.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(ctx.request.headers['content-encoding']).toBeUndefined();
  });

  it('inserts strings verbatim in raw mode and can keep the Content-Type', async () => {
    const policy = createPolicy(setBodyPolicy, {
      body: 'Hello ${ claims.name }, you are ${ claims.age }',
      encoding: 'raw',
      contentType: '',
    });
    const ctx = createTestContext({ headers: { 'content-type': 'text/plain' }, claims: { name: 'Bob', age: 42 } });
    await policy.request!(ctx);
    expect(ctx.forwardedBody()!.toString()).toBe('Hello Bob, you are 42');
    expect(ctx.request.headers['content-type']).toBe('text/plain');
  });

  it('replaces the response body and exposes the response status', async () => {
    const policy = createPolicy(setBodyPolicy, {
      phase: 'response',
      body: '{"status": ${ response.status }, "upstreamType": ${ response.headers["content-type"] }}',
    });
    expect(policy.request).toBeUndefined();
    const ctx = createTestContext({
      response: { status: 404, headers: { 'content-type': 'text/html', etag: '"x"' }, body: '<h1>no</h1>' },
    });
    await policy.response!(ctx);
    expect(JSON.parse((await ctx.response.readBody()).toString())).toEqual({ status: 404, upstreamType: 'text/html' });
    expect(ctx.response.headers['content-type']).toBe('application/json');
    expect(ctx.response.headers.etag).toBeUndefined();
  });

  it('keeps problem documents produced by the gateway', async () => {
    const policy = createPolicy(setBodyPolicy, { phase: 'response', body: '{"ok": true}' });
    const ctx = createTestContext();
    ctx.respond(429, { 'content-type': 'application/problem+json' }, '{"code":"rate_limited"}');
    await policy.response!(ctx);
    expect((await ctx.response.readBody()).toString()).toBe('{"code":"rate_limited"}');
  });

  it('answers policy_error when a placeholder cannot be evaluated', async () => {
    const policy = createPolicy(setBodyPolicy, { body: '{"user": ${ claims.sub }}' });
    const error = await (async () => policy.request!(createTestContext()))().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('policy_error');
  });

  it('rejects bad templates at load', () => {
    expect(() => createPolicy(setBodyPolicy, { body: '{"a": ${ claims.sub' })).toThrow(/unclosed placeholder/);
    expect(() => createPolicy(setBodyPolicy, { body: '${ 1 + }' })).toThrow(/invalid CEL/);
  });
});

describe('body templates', () => {
  it('handles braces and quotes inside placeholders', () => {
    const template = compileBodyTemplate('{"v": ${ {"a": "}"}["a"] }, "n": ${ null }}', 'json', compileExpression);
    expect(template.render({})).toBe('{"v": "}", "n": null}');
  });

  it('keeps text without placeholders as is', () => {
    expect(compileBodyTemplate('plain $ text {}', 'raw', compileExpression).render({})).toBe('plain $ text {}');
  });
});
