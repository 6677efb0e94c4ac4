/**
 * A gateway node of two worker threads on one port, with real sockets on loopback: limits exact for the
 * node, reloads swapping every worker, a killed worker replaced while the other serves, one /metrics,
 * drain. Workers run the built code (dist), so this is a system test.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleDocument, startTestNode, startTestUpstream, type TestUpstream } from '../testing/harness.js';
import type { GatewayNode } from './node-gateway.js';

interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One request on its own connection, so SO_REUSEPORT spreads them over the workers. */
function request(port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const statuses = (answers: Answer[]) =>
  answers.reduce<Record<number, number>>((acc, a) => {
    acc[a.status] = (acc[a.status] ?? 0) + 1;
    return acc;
  }, {});

/** Requests each worker counted, from the workers' own registries. */
async function perWorker(node: GatewayNode): Promise<number[]> {
  const all = (await node.pool.workerMetrics()) as Array<Array<{ name: string; values: Array<{ value: number }> }>>;
  return all.map(
    (metrics) =>
      metrics.find((m) => m.name === 'gatehouse_requests_total')?.values.reduce((sum, v) => sum + v.value, 0) ?? 0,
  );
}

function document(upstreamUrl: string, tag: string) {
  return simpleDocument(upstreamUrl, {
    policies: [{ policy: 'set-headers', config: { response: { add: { 'x-config': tag } } } }],
    routes: [
      { path: '/rate', policies: [{ policy: 'rate-limit', config: { limit: 10, window: '1m' } }] },
      { path: '/quota', policies: [{ policy: 'quota', config: { limit: 7, period: 'month' } }] },
      { path: '/spike', policies: [{ policy: 'spike-arrest', config: { rate: '1/m', burst: 5 } }] },
      { path: '/slots', policies: [{ policy: 'concurrency-limit', config: { limit: 3 } }] },
      { path: '/' },
    ],
  });
}

describe('a gateway node with two workers', () => {
  let upstream: TestUpstream;
  let node: GatewayNode;
  const held: http.ServerResponse[] = [];
  const releaseAll = () => {
    for (const res of held.splice(0)) res.end('done');
  };

  beforeAll(async () => {
    upstream = await startTestUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      if (req.url?.startsWith('/slots') || req.url?.startsWith('/slow')) held.push(res);
      else res.end('ok');
    });
    node = await startTestNode(document(upstream.url, 'v1'));
  });
  afterAll(async () => {
    releaseAll();
    await node?.close();
    await upstream?.close();
  });

  it('spreads connections over both workers', async () => {
    await Promise.all(Array.from({ length: 40 }, () => request(node.port, '/test/')));
    const counts = await perWorker(node);
    expect(counts).toHaveLength(2);
    expect(counts.every((n) => n > 0)).toBe(true);
  });

  it('keeps rate-limit, quota and spike-arrest exact for the node (40 requests, both workers)', async () => {
    for (const [path, limit] of [
      ['/test/rate', 10],
      ['/test/quota', 7],
      ['/test/spike', 5],
    ] as const) {
      const before = await perWorker(node);
      const answers = await Promise.all(Array.from({ length: 40 }, () => request(node.port, path)));
      expect(statuses(answers)).toEqual({ 200: limit, 429: 40 - limit });
      const after = await perWorker(node);
      // Both workers answered some of them: the limit held across the two.
      expect(after.every((n, i) => n > (before[i] ?? 0))).toBe(true);
    }
    // Counted in the shared table by the workers themselves: the primary's store saw none of them.
    expect(node.pool.host.table?.placed).toBe(3);
    expect((node.pool.host.counters as unknown as { size: number }).size).toBe(0);
  });

  it('keeps concurrency-limit exact for the node and gives slots back', async () => {
    const pending = Array.from({ length: 10 }, () => request(node.port, '/test/slots'));
    await expect.poll(() => held.length).toBe(3);
    // The seven others are refused at once, whichever worker they reached.
    const settled = await Promise.race([
      Promise.allSettled(pending).then(() => 'all'),
      new Promise((r) => setTimeout(() => r('some'), 300)),
    ]);
    expect(settled).toBe('some');
    releaseAll();
    const answers = await Promise.all(pending);
    expect(statuses(answers)).toEqual({ 200: 3, 429: 7 });
    const again = Array.from({ length: 3 }, () => request(node.port, '/test/slots'));
    await expect.poll(() => held.length).toBe(3);
    releaseAll();
    expect(statuses(await Promise.all(again))).toEqual({ 200: 3 });
  });

  it('swaps every worker to a new document, and none to a refused one', async () => {
    const refused = await node.apply({ version: 1, apis: [{ id: 'broken' }] });
    expect(refused.ok).toBe(false);
    const stillV1 = await Promise.all(Array.from({ length: 20 }, () => request(node.port, '/test/')));
    expect(new Set(stillV1.map((a) => a.headers['x-config']))).toEqual(new Set(['v1']));

    const applied = await node.apply(document(upstream.url, 'v2'));
    expect(applied.ok).toBe(true);
    expect(node.current()?.version).toBe(applied.version);
    // Once apply() resolved, every worker serves v2: no connection lands on a worker still on v1.
    const answers = await Promise.all(Array.from({ length: 30 }, () => request(node.port, '/test/')));
    expect(new Set(answers.map((a) => a.headers['x-config']))).toEqual(new Set(['v2']));
    // The reload kept the month's quota counted before it (7 of 7 used).
    expect(statuses(await Promise.all(Array.from({ length: 4 }, () => request(node.port, '/test/quota'))))).toEqual({
      429: 4,
    });
  });

  it('reports the node once on /metrics', async () => {
    const text = await (await fetch(`${node.adminUrl}/metrics`)).text();
    const served = (await perWorker(node)).reduce((a, b) => a + b, 0);
    const total = text
      .split('\n')
      .filter((line) => line.startsWith('gatehouse_requests_total{'))
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    expect(total).toBe(served);
    const info = text.split('\n').filter((line) => line.startsWith('gatehouse_config_info{'));
    expect(info).toEqual([`gatehouse_config_info{version="${node.current()?.version}"} 1`]);
    expect(text.match(/^# HELP gatehouse_process_process_cpu_seconds_total /gm)).toHaveLength(1);
  });

  it('replaces a killed worker while the other keeps serving', async () => {
    await node.pool.kill(0);
    // Straight after the kill, before the replacement is up: every new connection is served.
    const during = await Promise.all(Array.from({ length: 20 }, () => request(node.port, '/test/')));
    expect(statuses(during)).toEqual({ 200: 20 });
    await expect.poll(() => node.pool.size, { timeout: 10_000 }).toBe(2);
    expect(node.pool.restarts).toBe(1);
    // The replacement serves the committed document and takes connections again.
    await Promise.all(Array.from({ length: 40 }, () => request(node.port, '/test/')));
    const answers = await Promise.all(Array.from({ length: 20 }, () => request(node.port, '/test/')));
    expect(new Set(answers.map((a) => a.headers['x-config']))).toEqual(new Set(['v2']));
    expect((await perWorker(node)).every((n) => n > 0)).toBe(true);
  });
});

describe('draining a gateway node', () => {
  it('lets in-flight requests on every worker finish, then stops listening', async () => {
    const held: http.ServerResponse[] = [];
    const upstream = await startTestUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      held.push(res);
    });
    const node = await startTestNode(simpleDocument(upstream.url));
    try {
      const pending = Array.from({ length: 8 }, () => request(node.port, '/test/'));
      await expect.poll(() => held.length).toBe(8);
      expect((await perWorker(node)).length).toBe(2);
      const closed = node.close();
      await new Promise((r) => setTimeout(r, 100));
      for (const res of held.splice(0)) res.end('finished');
      const answers = await Promise.all(pending);
      expect(answers.map((a) => `${a.status} ${a.body}`)).toEqual(Array(8).fill('200 finished'));
      await closed;
      await expect(request(node.port, '/test/')).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await node.close();
      await upstream.close();
    }
  });
});
