import { startTestGateway, type TestGateway, type TestUpstream } from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cacheDocument, countingUpstream } from './test-support/counting-upstream.js';

describe('cache through the gateway (memory store)', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await countingUpstream();
    gw = await startTestGateway(cacheDocument(upstream.url));
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('serves the second GET from the cache with X-Cache and Age', async () => {
    const first = await gw.fetch('/test/items?a=1');
    expect(first.headers.get('x-cache')).toBe('MISS');
    const firstBody = await first.json();
    const second = await gw.fetch('/test/items?a=1');
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.headers.get('age')).toBe('0');
    expect(await second.json()).toEqual(firstBody);
    expect(upstream.requests.filter((r) => r.url === '/items?a=1')).toHaveLength(1);
  });

  it('answers HEAD from the GET entry with its Content-Length and no body', async () => {
    const body = await (await gw.fetch('/test/head-item')).text();
    const head = await gw.fetch('/test/head-item', { method: 'HEAD' });
    expect(head.headers.get('x-cache')).toBe('HIT');
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
    expect(await head.text()).toBe('');
    expect(upstream.requests.filter((r) => r.url === '/head-item')).toHaveLength(1);
  });

  it('honours Cache-Control on both sides and Vary', async () => {
    await gw.fetch('/test/private');
    expect((await gw.fetch('/test/private')).headers.get('x-cache')).toBe('MISS');

    await gw.fetch('/test/fresh');
    const bypass = await gw.fetch('/test/fresh', { headers: { 'cache-control': 'no-cache' } });
    expect(bypass.headers.get('x-cache')).toBe('BYPASS');

    const en = (await (await gw.fetch('/test/vary', { headers: { 'accept-language': 'en' } })).json()) as {
      served: number;
    };
    const fr = await gw.fetch('/test/vary', { headers: { 'accept-language': 'fr' } });
    expect(fr.headers.get('x-cache')).toBe('MISS');
    const enAgain = await gw.fetch('/test/vary', { headers: { 'accept-language': 'en' } });
    expect(enAgain.headers.get('x-cache')).toBe('HIT');
    expect(((await enAgain.json()) as { served: number }).served).toBe(en.served);
  });

  it('does not cache POST or error answers', async () => {
    await gw.fetch('/test/p', { method: 'POST', body: 'x' });
    expect((await gw.fetch('/test/p', { method: 'POST', body: 'x' })).headers.get('x-cache')).toBeNull();
  });
});
