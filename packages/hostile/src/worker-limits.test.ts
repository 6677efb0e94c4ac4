/**
 * A node of several workers must not be a way around its limits: a client spreading connections so
 * they land on different workers still meets one limit, and clients that walk away while holding or
 * waiting for a concurrency slot do not leak it (which would lock everyone else out).
 */
import http from 'node:http';
import type { GatewayNode } from '@gatehouse/gateway';
import { simpleDocument, startTestNode, startTestUpstream, type TestUpstream } from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from './raw.js';

describe('a multi-worker node keeps its limits against clients spreading and abandoning connections', () => {
  let upstream: TestUpstream;
  let node: GatewayNode;
  /** Upstream responses held open, for as long as the gateway keeps them (a client hang-up closes them). */
  const held = new Set<http.ServerResponse>();
  const endHeld = (body = '') => {
    for (const res of held) res.end(body);
    held.clear();
  };

  beforeAll(async () => {
    upstream = await startTestUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      if (!req.url?.startsWith('/slots') && !req.url?.startsWith('/queueless')) return res.end('ok');
      held.add(res);
      res.on('close', () => held.delete(res));
    });
    node = await startTestNode(
      simpleDocument(upstream.url, {
        routes: [
          { path: '/limited', policies: [{ policy: 'rate-limit', config: { limit: 5, window: '1h' } }] },
          {
            path: '/slots',
            policies: [{ policy: 'concurrency-limit', config: { limit: 2, queueSize: 4, queueTimeout: '10s' } }],
          },
          // Without a waiting line: the slots live in the node's shared-memory table, not in the primary.
          { path: '/queueless', policies: [{ policy: 'concurrency-limit', config: { limit: 3 } }] },
        ],
      }),
    );
  });
  afterAll(async () => {
    endHeld();
    await node?.close();
    await upstream?.close();
  });

  it('admits exactly the limit to 60 parallel connections, half of them pipelining three requests', async () => {
    const one = 'GET /test/limited HTTP/1.1\r\nHost: x\r\n\r\n';
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        // Half of them pipeline three requests on one connection.
        rawRequest(node.port, i % 2 ? one : one.repeat(3), { timeoutMs: 5_000 }),
      ),
    );
    const statuses = answers.flatMap((a) => [...a.text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1])));
    // Every connection is answered; a refusal closes its connection, so pipelined requests after one go unanswered.
    expect(statuses.length).toBeGreaterThanOrEqual(60);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
  });

  it('gets slots back from clients that hang up while holding or waiting for them', async () => {
    // Two hold slots, four wait in line; then all six hang up.
    const sockets = Array.from({ length: 6 }, () => {
      const req = http.request({ host: '127.0.0.1', port: node.port, path: '/test/slots', agent: false });
      req.on('error', () => {});
      req.end();
      return req;
    });
    await expect.poll(() => held.size).toBe(2);
    for (const req of sockets) req.destroy();
    await expect.poll(() => held.size).toBe(0);
    // Two fresh clients get both slots: nothing leaked on either worker or in the primary.
    const fresh = Array.from(
      { length: 2 },
      () =>
        new Promise<number>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port: node.port, path: '/test/slots', agent: false }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            })
            .on('error', reject);
        }),
    );
    await expect.poll(() => held.size, { timeout: 5_000 }).toBe(2);
    endHeld('done');
    expect(await Promise.all(fresh)).toEqual([200, 200]);
  });

  it('queued clients that hang up give their place in the node-wide line back; slow holders keep their slots', async () => {
    // Two slow clients hold both slots (they count, as designed); four wait in the node's line of four.
    const paths = new Map<string, http.ClientRequest>();
    const upstreamSaw = () => [...held].map((res) => (res.req.url ?? '').replace('/slots?c=', ''));
    const open = (c: string) => {
      const req = http.request({ host: '127.0.0.1', port: node.port, path: `/test/slots?c=${c}`, agent: false });
      req.on('error', () => {});
      req.end();
      paths.set(c, req);
      return req;
    };
    for (let i = 0; i < 6; i++) open(`first${i}`);
    await expect.poll(() => held.size).toBe(2);
    const holders = new Set(upstreamSaw());
    await expect.poll(() => node.pool.host.slots?.heldByPrimary ?? -1).toBe(0);
    // The four in line hang up; the holders stay.
    for (const [c, req] of paths) if (!holders.has(c)) req.destroy();
    // Their places are free again: four newcomers fit in the line, a fifth is refused at once.
    const refused: number[] = [];
    const newcomers = Array.from({ length: 5 }, (_, i) => {
      const req = open(`new${i}`);
      return new Promise<number>((resolve) => {
        req.on('response', (res) => {
          res.resume();
          if (res.statusCode === 429) refused.push(i);
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', () => resolve(0));
      });
    });
    await expect.poll(() => refused.length, { timeout: 10_000 }).toBe(1);
    expect(held.size).toBe(2);
    expect(new Set(upstreamSaw())).toEqual(holders);
    // The holders finish: the four newcomers are served two by two, nothing leaked.
    const served = new Set<string>();
    while (served.size < 4) {
      await expect.poll(() => held.size, { timeout: 10_000 }).toBeGreaterThan(0);
      for (const c of upstreamSaw()) if (c.startsWith('new')) served.add(c);
      endHeld('done');
    }
    const statuses = await Promise.all(newcomers);
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    await expect.poll(() => [1, 2].map((owner) => node.pool.host.slots?.heldBy(owner) ?? -1)).toEqual([0, 0]);
  });

  it('gets shared-memory slots back from raw connections closed mid-request, whichever worker held them', async () => {
    const heldBy = () => [1, 2].map((owner) => node.pool.host.slots?.heldBy(owner) ?? 0);
    for (let round = 0; round < 3; round++) {
      // Eight raw connections: three get slots, five are refused; the three hang up before any answer.
      const answers = Array.from({ length: 8 }, () =>
        rawRequest(node.port, 'GET /test/queueless HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 4_000 }),
      );
      await expect.poll(() => held.size, { timeout: 10_000 }).toBe(3);
      expect(heldBy().reduce((a, b) => a + b, 0)).toBe(3);
      // rawRequest gives up (destroys its socket) after timeoutMs: the three holders leave mid-request.
      const texts = (await Promise.all(answers)).map((a) => a.text);
      expect(texts.filter((t) => t.startsWith('HTTP/1.1 429'))).toHaveLength(5);
      await expect.poll(() => heldBy(), { timeout: 10_000 }).toEqual([0, 0]);
      await expect.poll(() => held.size, { timeout: 10_000 }).toBe(0);
    }
  });
});
