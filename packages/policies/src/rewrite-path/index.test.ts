import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { ConfigError, createAtPath, validatePolicyConfig } from '../sdk/define.js';
import { createTestContext } from '../testing/context.js';
import { testPolicyEnv } from '../testing/index.js';
import { hasDotSegment, rewritePathPolicy } from './index.js';

function policy(rawConfig: unknown) {
  return createAtPath('config', () =>
    rewritePathPolicy.create(validatePolicyConfig(rewritePathPolicy, rawConfig, 'config'), testPolicyEnv()),
  );
}

async function rewrite(rawConfig: unknown, path: string, query = '') {
  const ctx = createTestContext({ path, query });
  await policy(rawConfig).request?.(ctx);
  return { path: ctx.request.path, query: ctx.request.rawQuery };
}

describe('rewrite-path', () => {
  it('substitutes named groups and keeps the query', async () => {
    const config = {
      pattern: '^/users/(?<id>[^/]+)/orders/(?<order>\\d+)$',
      replacement: '/v2/accounts/{id}/o/{order}',
    };
    expect(await rewrite(config, '/users/u%20x/orders/42', 'expand=1')).toEqual({
      path: '/v2/accounts/u%20x/o/42',
      query: 'expand=1',
    });
  });

  it('substitutes numbered groups and the whole match', async () => {
    expect(await rewrite({ pattern: '^/api/(.*)$', replacement: '/v2/{1}' }, '/api/items/3')).toMatchObject({
      path: '/v2/items/3',
    });
    expect(await rewrite({ pattern: '^/a/b', replacement: '/x{0}' }, '/a/b/c')).toMatchObject({ path: '/x/a/b' });
  });

  it('matches a catastrophic-backtracking pattern in linear time', async () => {
    const started = performance.now();
    const result = await rewrite({ pattern: '^/(a+)+$', replacement: '/x' }, `/${'a'.repeat(40)}!`);
    // About a hang, not speed: a backtracking engine needs hours on this input, RE2 microseconds;
    // the bound only separates the two, on a machine under any load.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(result.path).toBe(`/${'a'.repeat(40)}!`);
  });

  it('leaves non-matching paths unchanged', async () => {
    expect(await rewrite({ pattern: '^/users/(?<id>[^/]+)$', replacement: '/v2/{id}' }, '/health', 'q=1')).toEqual({
      path: '/health',
      query: 'q=1',
    });
  });

  it('adds encoded query parameters from groups, after or instead of the original query', async () => {
    const config = { pattern: '^/search/(?<term>[^/]+)$', replacement: '/search', query: 'q={term}&v=2' };
    expect(await rewrite(config, '/search/caf%C3%A9%26tea', 'page=2')).toEqual({
      path: '/search',
      query: 'page=2&q=caf%C3%A9%26tea&v=2',
    });
    expect(await rewrite({ ...config, keepQuery: false }, '/search/x', 'page=2')).toEqual({
      path: '/search',
      query: 'q=x&v=2',
    });
    expect(await rewrite({ ...config, keepQuery: false, query: '' }, '/search/x', 'page=2')).toEqual({
      path: '/search',
      query: '',
    });
  });

  it('matches case-insensitively when asked', async () => {
    const config = { pattern: '^/Legacy/(?<rest>.*)$', replacement: '/{rest}' };
    expect((await rewrite(config, '/legacy/a')).path).toBe('/legacy/a');
    expect((await rewrite({ ...config, ignoreCase: true }, '/legacy/a')).path).toBe('/a');
  });

  it('refuses a rewritten path with dot segments (400)', async () => {
    const config = { pattern: '^/files/(?<rest>.*)$', replacement: '/static/{rest}' };
    await expect(rewrite(config, '/files/%2e%2e/admin')).rejects.toSatisfy(
      (e) => e instanceof GatewayError && e.code === 'bad_request',
    );
    expect(hasDotSegment('/a/../b')).toBe(true);
    expect(hasDotSegment('/a/.hidden/b')).toBe(false);
  });

  it('rejects bad patterns and unknown placeholders at load', () => {
    expect(() => policy({ pattern: '^/(unclosed', replacement: '/x' })).toThrow(/pattern/);
    expect(() => policy({ pattern: '^/(?<id>\\d+)(?=/)', replacement: '/x' })).toThrow(/^config\.pattern: .*RE2/);
    expect(() => policy({ pattern: '^/(?<id>\\d+)$', replacement: '/x/{idd}' })).toThrow(
      /\{idd\} is not a named group/,
    );
    expect(() => policy({ pattern: '^/(\\d+)$', replacement: '/x/{2}' })).toThrow(/1 group/);
    expect(() => policy({ pattern: '^/(\\d+)$', replacement: '/x', query: 'a={b}' })).toThrow(/query/);
    expect(() => policy({ pattern: '^/$', replacement: 'no-slash' })).toThrow(ConfigError);
  });
});
