// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { describe, expect, it } from 'vitest';
import { ConfigError, createAtPath, validatePolicyConfig } from '../sdk/define.js';
import { createTestContext } from '../testing/context.js';
import { testPolicyEnv } from '../testing/index.js';
import { sanitizeHeaderValue, setHeadersPolicy } from './index.js';

function policy(rawConfig: unknown) {
  return createAtPath('config', () =>
    setHeadersPolicy.create(validatePolicyConfig(setHeadersPolicy, rawConfig, 'config'), testPolicyEnv()),
  );
}

describe('set-headers', () => {
  it('removes, then sets, then appends request headers, with templates', async () => {
    const handlers = policy({
      request: {
        remove: ['X-Internal', 'x-replace-me'],
        set: { 'X-Replace-Me': 'new', 'x-consumer': '${context.application}', 'x-path': 'p=${request.path}' },
        add: { 'x-forwarded-tag': 'gatehouse', accept: 'text/csv' },
      },
    });
    const ctx = createTestContext({
      path: '/orders/7',
      headers: { 'x-internal': 'secret', 'x-replace-me': 'old', 'x-forwarded-tag': 'edge', accept: 'application/json' },
      application: { id: 'acme', name: 'ACME' },
    });
    await handlers.request?.(ctx);
    expect(ctx.request.headers['x-internal']).toBeUndefined();
    expect(ctx.request.headers['x-replace-me']).toBe('new');
    expect(ctx.request.headers['x-consumer']).toBe('acme');
    expect(ctx.request.headers['x-path']).toBe('p=/orders/7');
    expect(ctx.request.headers['x-forwarded-tag']).toEqual(['edge', 'gatehouse']);
    expect(ctx.request.headers.accept).toEqual(['application/json', 'text/csv']);
    expect(handlers.response).toBeUndefined();
  });

  it('changes response headers in the response phase, also on gateway answers', async () => {
    const handlers = policy({
      response: { remove: ['x-powered-by'], set: { 'cache-control': 'no-store' }, add: { vary: 'Accept' } },
    });
    const ctx = createTestContext({ response: { headers: { 'x-powered-by': 'Express', vary: 'Origin' } } });
    await handlers.response?.(ctx);
    expect(ctx.response.headers).toEqual({ 'cache-control': 'no-store', vary: ['Origin', 'Accept'] });

    const answered = createTestContext();
    answered.respond(429, { 'content-type': 'application/problem+json' }, '{}');
    await handlers.response?.(answered);
    expect(answered.response.headers['cache-control']).toBe('no-store');
    expect(handlers.request).toBeUndefined();
  });

  it('strips control characters from templated values (no header splitting)', async () => {
    const handlers = policy({ request: { set: { 'x-echo': '${request.headers["x-in"]}' } } });
    const ctx = createTestContext({ headers: { 'x-in': 'a\r\nSet-Cookie: evil=1' } });
    await handlers.request?.(ctx);
    expect(ctx.request.headers['x-echo']).toBe('aSet-Cookie: evil=1');
    expect(sanitizeHeaderValue('tab\there\u0000\u007f')).toBe('tab\there');
  });

  it('skips a header whose template cannot be evaluated for this request', async () => {
    const handlers = policy({ request: { set: { 'x-user': '${claims.sub.missing}', 'x-ok': 'yes' } } });
    const ctx = createTestContext();
    await handlers.request?.(ctx);
    expect(ctx.request.headers['x-user']).toBeUndefined();
    expect(ctx.request.headers['x-ok']).toBe('yes');
  });

  it('rejects invalid or gateway-managed header names and bad templates at load', () => {
    expect(() => policy({ request: { set: { 'bad name': 'x' } } })).toThrow(ConfigError);
    expect(() => policy({ response: { remove: ['x:y'] } })).toThrow(/remove/);
    expect(() => policy({ request: { set: { 'Content-Length': '5' } } })).toThrow(/managed by the gateway/);
    expect(() => policy({ request: { set: { 'x-a': '${request.(}' } } })).toThrow(/request\.set\.x-a/);
    expect(() => policy({ request: { set: { 'x-a': 'line\nbreak' } } })).toThrow(/control characters/);
    expect(() => policy({ request: { rename: {} } })).toThrow(ConfigError);
  });

  it('does nothing (no handlers) with an empty config', () => {
    const handlers = policy({});
    expect(handlers.request).toBeUndefined();
    expect(handlers.response).toBeUndefined();
  });
});
