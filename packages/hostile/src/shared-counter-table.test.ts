/**
 * The workers of a node count in a fixed-size shared table. A client choosing its own counter keys
 * (a rate limit keyed by a header) must not get around a limit by filling the table or by sending a key
 * too long for a slot: what does not fit is counted by the primary, still exactly, and keys already in
 * the table keep their counts (nothing is evicted).
 */
import http from 'node:http';
import type { GatewayNode } from '@gatehouse/gateway';
import { simpleDocument, startTestNode, startTestUpstream, type TestUpstream } from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

function get(port: number, tenant: string, path = '/test/limited'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, agent: false, headers: { 'x-tenant': tenant } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('a node whose shared counter table is full keeps every limit', () => {
  let upstream: TestUpstream;
  let node: GatewayNode;

  beforeAll(async () => {
    upstream = await startTestUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
    node = await startTestNode(
      simpleDocument(upstream.url, {
        routes: [
          {
            path: '/limited',
            policies: [
              { policy: 'rate-limit', config: { limit: 2, window: '1h', key: 'request.headers["x-tenant"]' } },
            ],
          },
          {
            path: '/spike',
            policies: [
              { policy: 'spike-arrest', config: { rate: '1/h', burst: 3, key: 'request.headers["x-tenant"]' } },
            ],
          },
        ],
      }),
      {
        // The smallest table: 64 slots.
        sharedCounterSlots: 64,
      },
    );
  });
  afterAll(async () => {
    await node?.close();
    await upstream?.close();
  });

  it('limits keys that did not fit, and keys already counted, exactly', async () => {
    // 150 tenants, one request each: the table holds at most 64 of them.
    const first = await Promise.all(Array.from({ length: 150 }, (_, i) => get(node.port, `tenant-${i}`)));
    expect(first.every((s) => s === 200)).toBe(true);
    const table = node.pool.host.table;
    expect(table?.placed).toBeLessThanOrEqual(64);
    expect(table?.refused).toBeGreaterThan(0);
    // Each tenant has one request left, whether the table or the primary counts it.
    const second = await Promise.all(
      Array.from({ length: 150 }, (_, i) => [get(node.port, `tenant-${i}`), get(node.port, `tenant-${i}`)]).flat(),
    );
    expect(second.filter((s) => s === 200)).toHaveLength(150);
    expect(second.filter((s) => s === 429)).toHaveLength(150);
  });

  it('limits a key too long for a slot exactly (rate limit and spike arrest, counted by the primary)', async () => {
    const long = 'L'.repeat(4000);
    const answers = await Promise.all(Array.from({ length: 6 }, () => get(node.port, long)));
    expect(answers.filter((s) => s === 200)).toHaveLength(2);
    expect(answers.filter((s) => s === 429)).toHaveLength(4);
    const refusedBefore = node.pool.host.table?.refused ?? 0;
    const spiked = await Promise.all(Array.from({ length: 8 }, () => get(node.port, long, '/test/spike')));
    expect(spiked.filter((s) => s === 200)).toHaveLength(3);
    expect(spiked.filter((s) => s === 429)).toHaveLength(5);
    expect(node.pool.host.table?.refused).toBe(refusedBefore + 8);
  });
});
