/**
 * The cache policy through two gateways sharing a real Redis (REDIS_URL). In the integration project
 * because it opens Redis connections (docs/decisions/0008-test-layout.md); gateway.test.ts holds the
 * in-process cases.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { serviceUrl } from '@gatehouse/core/testing';
import { startTestGateway, type TestGateway, type TestUpstream } from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheDocument, countingUpstream } from './test-support/counting-upstream.js';

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
