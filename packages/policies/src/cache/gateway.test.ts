import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { serviceUrl } from '@gatehouse/core/testing';
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** An upstream whose answers say how many requests it has served, so a cached answer is recognisable. */
async function countingUpstream(): Promise<TestUpstream> {
  let served = 0;
  return startTestUpstream((req, res) => {
    served++;
    const text = JSON.stringify({ served, url: req.url });
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    };
    if (req.url?.includes('private')) headers['cache-control'] = 'private';
    if (req.url?.includes('vary')) headers.vary = 'accept-language';
    res.writeHead(200, headers);
    res.end(text);
  });
}

const cacheDocument = (url: string) => simpleDocument(url, { policies: [{ policy: 'cache', config: { ttl: '1m' } }] });

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

const redis = serviceUrl('REDIS_URL');
/** GET with the Host header a load balancer would pass on (fetch always sends the address it dials). */
function getWithHost(gw: TestGateway, path: string): Promise<{ headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${gw.url}${path}`, { headers: { host: 'api.example.com' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

describe.skipIf(!redis.url)('cache through two gateways sharing Redis', () => {
  let upstream: TestUpstream;
  let gateways: TestGateway[];

  beforeAll(async () => {
    upstream = await countingUpstream();
    gateways = [
      await startTestGateway(cacheDocument(upstream.url), { redisUrl: redis.url! }),
      await startTestGateway(cacheDocument(upstream.url), { redisUrl: redis.url! }),
    ];
  });
  afterAll(async () => {
    await Promise.all((gateways ?? []).map((gw) => gw.close()));
    await upstream?.close();
  });

  it('a response cached by one gateway is a hit on the other', async () => {
    const [a, b] = gateways as [TestGateway, TestGateway];
    // Redis connects in the background (the stores serve from memory until then), and the store write
    // is not awaited by the response: try fresh paths until B's first request finds A's entry.
    let shared: { path: string; body: string } | undefined;
    for (let attempt = 0; attempt < 40 && !shared; attempt++) {
      const path = `/test/shared-${randomUUID()}`;
      // Behind a load balancer both gateways see the same public Host (part of the cache key).
      const first = await getWithHost(a, path);
      expect(first.headers['x-cache']).toBe('MISS');
      const body = first.body;
      await new Promise((resolve) => setTimeout(resolve, 25));
      const other = await getWithHost(b, path);
      const otherBody = other.body;
      if (other.headers['x-cache'] === 'HIT') {
        expect(otherBody).toBe(body);
        shared = { path, body };
      }
    }
    expect(shared).toBeDefined();
    expect(upstream.requests.filter((r) => `/test${r.url}` === shared!.path)).toHaveLength(1);
  });
});
