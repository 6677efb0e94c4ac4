// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../sdk/define.js';
import { createTestContext, type TestContextInit } from '../testing/context.js';
import { captureLogger, createPolicy } from '../testing/index.js';
import { dynamicRoutingPolicy } from './index.js';

const rules = [
  { when: 'request.headers["x-region"] == "eu"', url: 'http://orders-eu.internal:8080' },
  { when: 'has(request.query.shard)', url: 'http://shard-${request.query.shard}.internal:9000/base' },
  { when: 'context.plan == "beta"', url: 'http://beta.internal' },
];

async function route(config: Record<string, unknown>, init: TestContextInit) {
  const ctx = createTestContext(init);
  await createPolicy(dynamicRoutingPolicy, config).request!(ctx);
  return ctx;
}

describe('dynamic-routing', () => {
  it('sets the target of the first matching rule', async () => {
    expect((await route({ rules }, { headers: { 'x-region': 'eu' }, query: 'shard=3' })).upstream.targetUrl).toBe(
      'http://orders-eu.internal:8080',
    );
    expect((await route({ rules }, { query: 'shard=3' })).upstream.targetUrl).toBe('http://shard-3.internal:9000/base');
    expect((await route({ rules }, { planId: 'beta' })).upstream.targetUrl).toBe('http://beta.internal');
  });

  it('leaves unmatched requests to the upstream, or rejects them when configured', async () => {
    expect((await route({ rules }, {})).upstream.targetUrl).toBeUndefined();
    await expect(route({ rules, onNoMatch: 'reject' }, {})).rejects.toMatchObject({ code: 'no_route', status: 404 });
  });

  it('refuses rendered URLs outside allowedHosts or that are not http(s) URLs, without logging them', async () => {
    const config = { rules, allowedHosts: ['*.internal'] };
    expect((await route(config, { query: 'shard=7' })).upstream.targetUrl).toBe('http://shard-7.internal:9000/base');

    const { logger, lines } = captureLogger();
    const handlers = createPolicy(dynamicRoutingPolicy, config);
    const ctx = createTestContext({ query: `shard=${encodeURIComponent('x.evil.com/')}` });
    Object.assign(ctx, { log: logger });
    const error = await (async () => handlers.request!(ctx))().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('bad_request');
    expect(ctx.upstream.targetUrl).toBeUndefined();
    expect(lines[0]).toMatchObject({ rule: 1, problem: 'host shard-x.evil.com is not in allowedHosts' });
    expect(JSON.stringify(lines)).not.toContain('9000/base');

    const mailto = { rules: [{ when: 'true', url: '${request.query.to}' }] };
    await expect(route(mailto, { query: 'to=file:///etc/passwd' })).rejects.toThrow(/cannot be routed/);
  });

  it('checks fixed URLs and CEL at load time', () => {
    expect(() => createPolicy(dynamicRoutingPolicy, { rules: [] })).toThrow(ConfigError);
    expect(() => createPolicy(dynamicRoutingPolicy, { rules: [{ when: 'true', url: 'ftp://x' }] })).toThrow(
      /rules\[0\]\.url: is not an http\(s\) URL/,
    );
    expect(() =>
      createPolicy(dynamicRoutingPolicy, {
        rules: [{ when: 'true', url: 'http://a.example' }],
        allowedHosts: ['b.example'],
      }),
    ).toThrow(/not in allowedHosts/);
    expect(() => createPolicy(dynamicRoutingPolicy, { rules: [{ when: 'request.', url: 'http://a' }] })).toThrow(
      /rules\[0\]\.when: invalid CEL/,
    );
  });
});

describe('dynamic-routing example', () => {
  it('accepts its documented example', async () => {
    expect(dynamicRoutingPolicy.example.policy).toBe('dynamic-routing');
    const handlers = createPolicy(dynamicRoutingPolicy, dynamicRoutingPolicy.example.config);
    expect(Object.keys(handlers).length).toBeGreaterThan(0);
    await handlers.close?.();
  });
});
