/**
 * Concurrency slots of a two-worker node in shared memory, with real sockets and a slow upstream: the
 * node never has more than the limit in flight, clients that go away mid-request (raw sockets closed
 * early, on both workers) give their slots back, and a worker killed while holding slots has them
 * given back by the primary. Workers run the built code (dist), so this is a system test.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleDocument, startTestNode, startTestUpstream, type TestUpstream } from '../testing/harness.js';
import type { GatewayNode } from './node-gateway.js';

function request(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A request on a raw socket the test closes whenever it likes (a client going away mid-request). */
function rawRequest(port: number, path: string): net.Socket {
  const socket = net.connect(port, '127.0.0.1', () => {
    socket.write(`GET ${path} HTTP/1.1\r\nhost: gateway\r\n\r\n`);
  });
  socket.on('error', () => {});
  return socket;
}

const count = (statuses: number[]) =>
  statuses.reduce<Record<number, number>>((acc, s) => {
    acc[s] = (acc[s] ?? 0) + 1;
    return acc;
  }, {});

describe('concurrency slots of a two-worker node in shared memory', () => {
  let upstream: TestUpstream;
  let node: GatewayNode;
  const held: http.ServerResponse[] = [];
  /** Requests the upstream has open right now, and the most it ever had at once per path. */
  const open = new Map<string, number>();
  const most = new Map<string, number>();
  const releaseAll = () => {
    for (const res of held.splice(0)) if (!res.writableEnded) res.end('done');
  };
  const slots = () => node.pool.host.slots!;
  const heldByWorkers = () => [slots().heldBy(1), slots().heldBy(2)];

  beforeAll(async () => {
    upstream = await startTestUpstream((req, res) => {
      const path = req.url ?? '';
      open.set(path, (open.get(path) ?? 0) + 1);
      most.set(path, Math.max(most.get(path) ?? 0, open.get(path)!));
      res.on('close', () => open.set(path, open.get(path)! - 1));
      res.writeHead(200, { 'content-type': 'text/plain' });
      held.push(res);
    });
    node = await startTestNode(
      simpleDocument(upstream.url, {
        routes: [
          { path: '/three', policies: [{ policy: 'concurrency-limit', config: { limit: 3 } }] },
          { path: '/wide', policies: [{ policy: 'concurrency-limit', config: { limit: 30 } }] },
          {
            path: '/queued',
            policies: [{ policy: 'concurrency-limit', config: { limit: 2, queueSize: 3, queueTimeout: '20s' } }],
          },
          {
            path: '/kill',
            policies: [{ policy: 'concurrency-limit', config: { limit: 4, queueSize: 12, queueTimeout: '60s' } }],
          },
          {
            path: '/brief',
            policies: [{ policy: 'concurrency-limit', config: { limit: 1, queueSize: 2, queueTimeout: '200ms' } }],
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    releaseAll();
    await node?.close();
    await upstream?.close();
  });

  it('never lets more than the limit in flight across the workers, without asking the primary', async () => {
    // Waves of requests against a slow upstream: each wave's admitted ones are let go together.
    for (let wave = 0; wave < 3; wave++) {
      const answered: number[] = [];
      const pending = Array.from({ length: 12 }, () =>
        request(node.port, '/test/three').then((status) => {
          answered.push(status);
          return status;
        }),
      );
      // Nine refused at once, whichever worker they reached, while three wait on the upstream: all twelve
      // have been through the policy (under load some connections are accepted late).
      await expect.poll(() => answered.length, { timeout: 10_000 }).toBe(9);
      await expect.poll(() => held.length, { timeout: 10_000 }).toBe(3);
      expect(slots().heldBy(1) + slots().heldBy(2)).toBe(3);
      releaseAll();
      expect(count(await Promise.all(pending))).toEqual({ 200: 3, 429: 9 });
    }
    expect([...most].find(([path]) => path.includes('three'))?.[1]).toBe(3);
    // Counted in the table by the workers: the primary's pools and messages saw none of it.
    expect(slots().heldByPrimary).toBe(0);
    expect(node.pool.host.table?.refused).toBe(0);
    expect(heldByWorkers()).toEqual([0, 0]);
  });

  it('gives back the slots of clients that close their connection mid-request, on both workers', async () => {
    const sockets = Array.from({ length: 16 }, () => rawRequest(node.port, '/test/wide'));
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(16);
    // Connections went to both workers, and each holds the slots of the requests it serves.
    const before = heldByWorkers();
    expect(before[0]! + before[1]!).toBe(16);
    expect(before.every((n) => n > 0)).toBe(true);
    for (const socket of sockets) socket.destroy();
    await expect.poll(() => heldByWorkers(), { timeout: 10_000 }).toEqual([0, 0]);
    held.splice(0);
    // All thirty are free again.
    const pending = Array.from({ length: 30 }, () => request(node.port, '/test/wide'));
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(30);
    releaseAll();
    expect(count(await Promise.all(pending))).toEqual({ 200: 30 });
  });

  it('a pool with a line: the limit in flight, the line counted for the node, waiters served, no message', async () => {
    const answered: number[] = [];
    const pending = Array.from({ length: 8 }, () =>
      request(node.port, '/test/queued').then((status) => {
        answered.push(status);
        return status;
      }),
    );
    // Two in flight, three in the node's line (whichever worker they reached), three refused at once.
    await expect.poll(() => answered.length, { timeout: 10_000 }).toBe(3);
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(2);
    expect(answered).toEqual([429, 429, 429]);
    // Let them go one wave at a time: each freed slot goes to a waiter, never more than two at once.
    while (answered.length < 8) {
      releaseAll();
      await expect
        .poll(() => held.length + answered.length, { timeout: 10_000 })
        .toBeGreaterThanOrEqual(Math.min(8, answered.length + 1));
    }
    releaseAll();
    expect(count(await Promise.all(pending))).toEqual({ 200: 5, 429: 3 });
    expect(most.get('/queued')).toBe(2);
    expect(slots().heldByPrimary).toBe(0);
    await expect.poll(() => heldByWorkers(), { timeout: 10_000 }).toEqual([0, 0]);
  });

  it('a waiter that times out gets the policy error from the catalog (429 concurrency_limited)', async () => {
    const first = request(node.port, '/test/brief');
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(1);
    const late = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: node.port, path: '/test/brief', agent: false }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });
    expect(late.status).toBe(429);
    expect(JSON.parse(late.body)).toMatchObject({ code: 'concurrency_limited', status: 429 });
    expect(late.body).toMatch(/No request slot freed up within 200ms/);
    releaseAll();
    expect(await first).toBe(200);
    await expect.poll(() => heldByWorkers(), { timeout: 10_000 }).toEqual([0, 0]);
  });

  it("gives back a killed worker's slots, and only its own", async () => {
    const sockets = Array.from({ length: 16 }, () => rawRequest(node.port, '/test/wide'));
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(16);
    const [first, second] = heldByWorkers();
    expect(first! > 0 && second! > 0).toBe(true);
    await node.pool.kill(0);
    // The primary gave back worker 0's slots when it exited; worker 1 still holds its own.
    await expect.poll(() => heldByWorkers(), { timeout: 10_000 }).toEqual([0, second]);
    // The replacement loads the gateway's modules: slow on a loaded machine.
    await expect.poll(() => node.pool.size, { timeout: 60_000 }).toBe(2);
    for (const socket of sockets) socket.destroy();
    await expect.poll(() => heldByWorkers(), { timeout: 10_000 }).toEqual([0, 0]);
    held.splice(0);
  }, 90_000);

  it("a killed worker's slots go to the other worker's waiters; its places in line are dropped", async () => {
    const sockets = Array.from({ length: 16 }, () => rawRequest(node.port, '/test/kill'));
    const inLine = () => [slots().queuedBy(1), slots().queuedBy(2)];
    await expect.poll(() => open.get('/kill') ?? 0, { timeout: 10_000 }).toBe(4);
    await expect.poll(() => inLine()[0]! + inLine()[1]!, { timeout: 10_000 }).toBe(12);
    // Worker 1 (owner 2) survives with what it holds and what waits on it.
    const survivors = slots().heldBy(2) + inLine()[1]!;
    // Connections went to both workers (as in the test above: the kernel spreads them).
    expect(survivors > 0 && survivors < 16).toBe(true);
    await node.pool.kill(0);
    await expect.poll(() => slots().heldBy(1) + inLine()[0]!, { timeout: 10_000 }).toBe(0);
    // The dead worker's slots went to the survivor's oldest waiters: it now holds as many as it has requests, up to 4.
    await expect.poll(() => slots().heldBy(2), { timeout: 10_000 }).toBe(Math.min(4, survivors));
    expect(inLine()[1]).toBe(Math.max(0, survivors - 4));
    await expect.poll(() => open.get('/kill') ?? 0, { timeout: 10_000 }).toBe(Math.min(4, survivors));
    await expect.poll(() => node.pool.size, { timeout: 60_000 }).toBe(2);
    for (const socket of sockets) socket.destroy();
    await expect.poll(() => heldByWorkers(), { timeout: 10_000 }).toEqual([0, 0]);
    await expect.poll(() => inLine(), { timeout: 10_000 }).toEqual([0, 0]);
    held.splice(0);
  }, 90_000);
});
