import type { OutgoingHttpHeaders } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import type { ResponseCacheStore } from '../sdk/cache-store.js';
import type { PolicyHandlers } from '../sdk/types.js';
import { MemoryResponseCacheStore } from '../stores/memory-cache.js';
import { createTestContext, type TestContextInit } from '../testing/context.js';
import { captureLogger, createPolicy, testPolicyEnv } from '../testing/index.js';
import { cachePolicy } from './index.js';

interface Upstream {
  status?: number;
  headers?: OutgoingHttpHeaders;
  body?: string;
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** Runs one exchange: request phase, the "upstream" (unless answered from cache), response phase. */
async function exchange(handlers: PolicyHandlers, init: TestContextInit, upstream: Upstream = {}) {
  const body = upstream.body ?? 'fresh';
  const response = {
    status: upstream.status ?? 200,
    headers: { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)), ...upstream.headers },
    body,
  };
  const ctx = createTestContext({ ...init, response });
  await handlers.request!(ctx);
  const fromUpstream = !ctx.responded;
  await handlers.response!(ctx);
  await flush();
  return { ctx, fromUpstream, body: (await ctx.response.readBody()).toString(), headers: ctx.response.headers };
}

function withCache(
  config: Record<string, unknown> = {},
  responseCache: ResponseCacheStore = new MemoryResponseCacheStore(),
) {
  return { handlers: createPolicy(cachePolicy, config, testPolicyEnv({ responseCache })), store: responseCache };
}

describe('cache: hits and misses', () => {
  it('stores a cacheable response and answers the next request from the cache with Age and X-Cache', async () => {
    const { handlers } = withCache();
    const first = await exchange(
      handlers,
      { path: '/items', query: 'a=1&b=2' },
      { headers: { etag: '"v1"' }, body: 'one' },
    );
    expect(first.fromUpstream).toBe(true);
    expect(first.headers['x-cache']).toBe('MISS');

    const second = await exchange(handlers, { path: '/items', query: 'b=2&a=1' }, { body: 'two' });
    expect(second.fromUpstream).toBe(false);
    expect(second.ctx.shortCircuit?.status).toBe(200);
    expect(second.body).toBe('one');
    expect(second.headers).toMatchObject({ 'x-cache': 'HIT', age: '0', etag: '"v1"', 'content-type': 'text/plain' });

    const otherQuery = await exchange(handlers, { path: '/items', query: 'a=2' });
    expect(otherQuery.fromUpstream).toBe(true);
  });

  it('answers HEAD from the GET entry without a body and never stores HEAD answers', async () => {
    const { handlers } = withCache();
    expect((await exchange(handlers, { method: 'HEAD', path: '/h' })).fromUpstream).toBe(true);
    expect((await exchange(handlers, { method: 'HEAD', path: '/h' })).fromUpstream).toBe(true);
    await exchange(handlers, { path: '/h' }, { body: 'payload' });
    const head = await exchange(handlers, { method: 'HEAD', path: '/h' });
    expect(head.fromUpstream).toBe(false);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe('7');
  });

  it('leaves other methods alone and caches POST by body only when configured', async () => {
    const { handlers } = withCache();
    await exchange(handlers, { method: 'POST', path: '/q', body: 'x' });
    expect((await exchange(handlers, { method: 'POST', path: '/q', body: 'x' })).fromUpstream).toBe(true);

    const posts = withCache({ methods: ['POST'] }).handlers;
    await exchange(posts, { method: 'POST', path: '/q', body: '{"q":1}' }, { body: 'r1' });
    const same = await exchange(posts, { method: 'POST', path: '/q', body: '{"q":1}' });
    expect(same.body).toBe('r1');
    expect((await exchange(posts, { method: 'POST', path: '/q', body: '{"q":2}' })).fromUpstream).toBe(true);
  });

  it('only stores the configured statuses', async () => {
    const { handlers } = withCache();
    await exchange(handlers, { path: '/err' }, { status: 500 });
    expect((await exchange(handlers, { path: '/err' })).fromUpstream).toBe(true);
    await exchange(handlers, { path: '/gone' }, { status: 404, body: 'nope' });
    const hit = await exchange(handlers, { path: '/gone' });
    expect(hit.ctx.shortCircuit?.status).toBe(404);

    const custom = withCache({ statuses: [500] }).handlers;
    await exchange(custom, { path: '/err' }, { status: 500 });
    expect((await exchange(custom, { path: '/err' })).fromUpstream).toBe(false);
  });

  it('separates entries by configured headers and by identity (keyBy)', async () => {
    const { handlers } = withCache({ keyHeaders: ['X-Tenant'], keyBy: ['application'] });
    const app = (id: string) => ({ id, name: id });
    await exchange(handlers, { path: '/k', headers: { 'x-tenant': 'a' }, application: app('one') }, { body: 'a-one' });
    expect(
      (await exchange(handlers, { path: '/k', headers: { 'x-tenant': 'b' }, application: app('one') })).fromUpstream,
    ).toBe(true);
    expect(
      (await exchange(handlers, { path: '/k', headers: { 'x-tenant': 'a' }, application: app('two') })).fromUpstream,
    ).toBe(true);
    expect((await exchange(handlers, { path: '/k', headers: { 'x-tenant': 'a' }, application: app('one') })).body).toBe(
      'a-one',
    );
  });

  it('namespaces keys by the policy scope and never stores header values in clear text', async () => {
    const store = new MemoryResponseCacheStore();
    const spy = vi.spyOn(store, 'set');
    const { handlers } = withCache({ keyHeaders: ['authorization'] }, store);
    await exchange(handlers, { path: '/secret', headers: { authorization: 'Bearer sekrit-token' } });
    const key = spy.mock.calls[0]![0];
    expect(key.startsWith(`cache:${testPolicyEnv().scope.key}:`)).toBe(true);
    expect(key).not.toContain('sekrit');
  });
});

describe('cache: callers and hosts do not share what they should not', () => {
  it('keys entries by the request Host', async () => {
    const { handlers } = withCache();
    await exchange(handlers, { path: '/page', headers: { host: 'evil.example' } }, { body: 'poisoned' });
    const honest = await exchange(handlers, { path: '/page', headers: { host: 'api.example' } }, { body: 'genuine' });
    expect([honest.fromUpstream, honest.body]).toEqual([true, 'genuine']);
    expect((await exchange(handlers, { path: '/page', headers: { host: 'API.example' } })).body).toBe('genuine');
  });

  it('keeps one cache per caller by default: subscription, token subject, basic-auth user or raw Authorization', async () => {
    const { handlers } = withCache();
    await exchange(handlers, { path: '/me', subscriptionId: 's1', claims: { iss: 'i', sub: 'alice' } }, { body: 'A' });
    const bob = await exchange(
      handlers,
      { path: '/me', subscriptionId: 's1', claims: { iss: 'i', sub: 'bob' } },
      { body: 'B' },
    );
    expect([bob.fromUpstream, bob.body]).toEqual([true, 'B']);
    const alice = await exchange(handlers, { path: '/me', subscriptionId: 's1', claims: { iss: 'i', sub: 'alice' } });
    expect([alice.fromUpstream, alice.body]).toEqual([false, 'A']);

    await exchange(handlers, { path: '/raw', headers: { authorization: 'Bearer one' } }, { body: 'one' });
    expect((await exchange(handlers, { path: '/raw', headers: { authorization: 'Bearer two' } })).fromUpstream).toBe(
      true,
    );
    const anonymous = await exchange(handlers, { path: '/raw' }, { body: 'public' });
    expect([anonymous.fromUpstream, anonymous.body]).toEqual([true, 'public']);
  });

  it('shared between callers (keyBy: []), stores answers to credentialed requests only when marked public or s-maxage (RFC 9111 3.5)', async () => {
    const { handlers } = withCache({ keyBy: [] });
    const alice = { path: '/me', headers: { authorization: 'Bearer alice' } };
    const bob = { path: '/me', headers: { authorization: 'Bearer bob' } };
    await exchange(handlers, alice, { body: 'alice-private' });
    const second = await exchange(handlers, bob, { body: 'bob-private' });
    expect([second.fromUpstream, second.body]).toEqual([true, 'bob-private']);
    expect((await exchange(handlers, { path: '/me', subscriptionId: 's9' })).fromUpstream).toBe(true);

    await exchange(
      handlers,
      { ...alice, path: '/news' },
      { headers: { 'cache-control': 'public, max-age=60' }, body: 'news' },
    );
    expect((await exchange(handlers, { ...bob, path: '/news' })).body).toBe('news');
    await exchange(handlers, { ...alice, path: '/s' }, { headers: { 'cache-control': 's-maxage=60' }, body: 's' });
    expect((await exchange(handlers, { ...bob, path: '/s' })).fromUpstream).toBe(false);
  });
});

describe('cache: HTTP caching rules', () => {
  it('does not store no-store, private, no-cache, max-age=0, Set-Cookie or Vary: * responses', async () => {
    const { handlers } = withCache();
    const refusals: OutgoingHttpHeaders[] = [
      { 'cache-control': 'no-store' },
      { 'cache-control': 'private, max-age=60' },
      { 'cache-control': 'no-cache' },
      { 'cache-control': 'max-age=0' },
      { 'set-cookie': 'session=1' },
      { vary: '*' },
    ];
    for (const [i, headers] of refusals.entries()) {
      await exchange(handlers, { path: `/r${i}` }, { headers });
      expect((await exchange(handlers, { path: `/r${i}` })).fromUpstream, JSON.stringify(headers)).toBe(true);
    }
  });

  it('takes the lifetime from s-maxage, then max-age minus Age, else the configured ttl', async () => {
    const store = new MemoryResponseCacheStore();
    const set = vi.spyOn(store, 'set');
    const { handlers } = withCache({ ttl: '2m' }, store);
    const lifetimes: number[] = [];
    for (const [path, headers] of [
      ['/s', { 'cache-control': 'public, max-age=600, s-maxage=30' }],
      ['/m', { 'cache-control': 'max-age=100', age: '40' }],
      ['/d', {}],
    ] as const) {
      await exchange(handlers, { path }, { headers });
      const entry = set.mock.lastCall![1];
      lifetimes.push(entry.expiresAt - entry.storedAt);
    }
    expect(lifetimes).toEqual([30_000, 60_000, 120_000]);

    const ignoring = withCache({ ttl: '10s', useUpstreamCacheControl: false }, store);
    await exchange(ignoring.handlers, { path: '/i' }, { headers: { 'cache-control': 'no-store' } });
    const entry = set.mock.lastCall![1];
    expect(entry.expiresAt - entry.storedAt).toBe(10_000);
  });

  it('expires entries', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { handlers } = withCache({ ttl: '1s' });
      await exchange(handlers, { path: '/t' });
      expect((await exchange(handlers, { path: '/t' })).fromUpstream).toBe(false);
      vi.setSystemTime(Date.now() + 1500);
      expect((await exchange(handlers, { path: '/t' })).fromUpstream).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('bypasses the lookup on request no-cache but stores the fresh answer; no-store skips both', async () => {
    const { handlers } = withCache();
    await exchange(handlers, { path: '/b' }, { body: 'old' });
    const refreshed = await exchange(
      handlers,
      { path: '/b', headers: { 'cache-control': 'no-cache' } },
      { body: 'new' },
    );
    expect(refreshed.fromUpstream).toBe(true);
    expect(refreshed.headers['x-cache']).toBe('BYPASS');
    expect((await exchange(handlers, { path: '/b' })).body).toBe('new');
    expect((await exchange(handlers, { path: '/b', headers: { pragma: 'no-cache' } })).fromUpstream).toBe(true);

    await exchange(handlers, { path: '/ns', headers: { 'cache-control': 'no-store' } });
    expect((await exchange(handlers, { path: '/ns' })).fromUpstream).toBe(true);

    const deaf = withCache({ requestCacheControl: false, statusHeader: '' }).handlers;
    await exchange(deaf, { path: '/x' });
    const hit = await exchange(deaf, { path: '/x', headers: { 'cache-control': 'no-cache' } });
    expect(hit.fromUpstream).toBe(false);
    expect(hit.headers['x-cache']).toBeUndefined();
  });

  it('keeps one variant per Vary value and serves each to matching requests', async () => {
    const { handlers } = withCache();
    const vary = { vary: 'Accept-Language' };
    await exchange(handlers, { path: '/v', headers: { 'accept-language': 'en' } }, { headers: vary, body: 'hello' });
    expect(
      (
        await exchange(
          handlers,
          { path: '/v', headers: { 'accept-language': 'fr' } },
          { headers: vary, body: 'bonjour' },
        )
      ).fromUpstream,
    ).toBe(true);
    expect((await exchange(handlers, { path: '/v', headers: { 'accept-language': 'en' } })).body).toBe('hello');
    expect((await exchange(handlers, { path: '/v', headers: { 'accept-language': 'fr' } })).body).toBe('bonjour');
    expect((await exchange(handlers, { path: '/v', headers: { 'accept-language': 'de' } })).fromUpstream).toBe(true);
  });

  it('skips bodies over maxEntrySize and, unless allowed, responses without Content-Length', async () => {
    const { handlers } = withCache({ maxEntrySize: '8' });
    await exchange(handlers, { path: '/big' }, { body: '123456789' });
    expect((await exchange(handlers, { path: '/big' })).fromUpstream).toBe(true);

    const chunked = (body: string): Upstream => ({
      headers: { 'content-length': undefined, 'transfer-encoding': 'chunked' },
      body,
    });
    await exchange(handlers, { path: '/chunked' }, chunked('1234'));
    expect((await exchange(handlers, { path: '/chunked' })).fromUpstream).toBe(true);

    const buffering = withCache({ bufferUnknownLength: true }).handlers;
    await exchange(buffering, { path: '/chunked' }, chunked('1234'));
    const hit = await exchange(buffering, { path: '/chunked' });
    expect(hit.body).toBe('1234');
    expect(hit.headers['transfer-encoding']).toBeUndefined();
  });

  it('treats a failing store as a miss and never fails the request', async () => {
    const { logger, lines } = captureLogger();
    const broken: ResponseCacheStore = {
      kind: 'redis',
      get: async () => {
        throw new Error('connection refused');
      },
      set: async () => {
        throw new Error('connection refused');
      },
      delete: async () => {},
      close: async () => {},
    };
    const handlers = createPolicy(cachePolicy, {}, testPolicyEnv({ responseCache: broken }));
    const ctx = createTestContext({
      path: '/down',
      response: { status: 200, headers: { 'content-length': '2' }, body: 'ok' },
    });
    Object.assign(ctx, { log: logger });
    await handlers.request!(ctx);
    expect(ctx.responded).toBe(false);
    await handlers.response!(ctx);
    await flush();
    expect(lines.map((l) => l.msg)).toEqual([
      'response cache read failed; treating as a miss',
      'response cache write failed',
    ]);
  });
});

describe('cache example', () => {
  it('accepts its documented example', async () => {
    expect(cachePolicy.example.policy).toBe('cache');
    const handlers = createPolicy(cachePolicy, cachePolicy.example.config);
    expect(Object.keys(handlers).length).toBeGreaterThan(0);
    await handlers.close?.();
  });
});
