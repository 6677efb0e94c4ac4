/**
 * Concurrency pools with a waiting line in shared memory: node-wide FIFO by ticket across workers,
 * queueSize counted for the node, timeouts and aborts leave no ticket behind, a dead worker's slots and
 * places go to the others. Same-thread cases first (two SharedNodeLimits over one table stand for two
 * workers: Atomics.waitAsync wakes on one thread too), then real threads over the compiled modules.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { GatewayError } from '@gatehouse/core';
import { afterEach, describe, expect, it } from 'vitest';
import { concurrencyLimitPolicy } from '../concurrency-limit/index.js';
import type { SlotAcquisition } from '../sdk/node-limits.js';
import { createTestContext } from '../testing/context.js';
import { createPolicy, testPolicyEnv } from '../testing/index.js';
import { LocalNodeLimits } from './node-limits.js';
import { SharedNodeLimits } from './shared-counters.js';
import { SharedSlots } from './shared-slots.js';
import { SharedTable } from './shared-table.js';

const locals: LocalNodeLimits[] = [];
afterEach(() => {
  for (const l of locals.splice(0)) l.close();
});

function node(owners = 2) {
  const table = new SharedTable({ capacity: 1024 });
  const slots = new SharedSlots(table, { owners });
  const primary = new LocalNodeLimits();
  locals.push(primary);
  const worker = (owner: number) =>
    new SharedNodeLimits(
      new SharedTable({ buffer: table.buffer, owner }),
      primary,
      Date.now,
      new SharedSlots(new SharedTable({ buffer: table.buffer, owner }), { buffer: slots.buffer, owner }),
    );
  return { table, slots, primary, a: worker(1), b: worker(2) };
}

const queued = { limit: 1, queueSize: 3, queueTimeoutMs: 5_000 };
/** Every per-worker word back at zero (the 16 header words hold statistics). */
const allZero = (slots: SharedSlots) => !new Int32Array(slots.buffer, 16 * 4).some((n) => n !== 0);

describe('queued pools in shared memory', () => {
  it('serves waiters of both workers first in, first out, and counts the line for the node', async () => {
    const { a, b, slots, primary } = node();
    expect(a.acquireSlot('cc:q', queued)).toBe('acquired');
    const order: string[] = [];
    const wait = (who: SharedNodeLimits, name: string) =>
      Promise.resolve(who.acquireSlot('cc:q', queued)).then((outcome) => {
        order.push(name);
        return outcome;
      });
    const waiters = [wait(b, 'b1'), wait(a, 'a1'), wait(b, 'b2')];
    // Three waiting on the node: the line is full, whichever worker asks.
    expect(a.acquireSlot('cc:q', queued)).toBe('full');
    expect(b.acquireSlot('cc:q', queued)).toBe('full');
    expect(slots.queued('cc:q', 1, 3)).toBe(3);
    for (const [i, owner] of [a, b, a].entries()) {
      owner.releaseSlot('cc:q', queued);
      await expect.poll(() => order.length).toBe(i + 1);
    }
    expect(order).toEqual(['b1', 'a1', 'b2']);
    expect(await Promise.all(waiters)).toEqual(['acquired', 'acquired', 'acquired']);
    expect(slots.inFlight('cc:q', 1, 3)).toBe(1);
    b.releaseSlot('cc:q', queued);
    expect(slots.inFlight('cc:q', 1, 3)).toBe(0);
    expect(primary.inFlight('cc:q', queued)).toBe(0);
    expect(allZero(slots)).toBe(true);
  });

  it('a worker handed two slots while its next waiter is younger passes the second on to the older one', async () => {
    const { a, b, slots } = node();
    const two = { ...queued, limit: 2 };
    expect(a.acquireSlot('cc:q', two)).toBe('acquired');
    expect(a.acquireSlot('cc:q', two)).toBe('acquired');
    const served: string[] = [];
    const wait = (who: SharedNodeLimits, name: string) =>
      Promise.resolve(who.acquireSlot('cc:q', two)).then((outcome) => served.push(`${name}:${outcome}`));
    void wait(b, 'b1');
    void wait(a, 'a1');
    void wait(b, 'b2');
    // Two releases before b wakes: both go to b (its published oldest ticket is still b1's); b keeps the
    // first for b1 and, seeing a1 older than b2, passes the second to a.
    a.releaseSlot('cc:q', two);
    a.releaseSlot('cc:q', two);
    await expect.poll(() => served.length).toBe(2);
    expect(served.sort()).toEqual(['a1:acquired', 'b1:acquired']);
    expect(slots.queued('cc:q', 2, 3)).toBe(1);
    a.releaseSlot('cc:q', two);
    await expect.poll(() => served.length).toBe(3);
    expect(served[2]).toBe('b2:acquired');
  });

  it('a free slot does not jump the line: a newcomer waits behind the waiters', async () => {
    const { a, b } = node();
    expect(a.acquireSlot('cc:q', queued)).toBe('acquired');
    const first = b.acquireSlot('cc:q', queued);
    a.releaseSlot('cc:q', queued);
    // Handed to b's waiter, not yet taken: a newcomer on a still finds the pool busy and queues.
    const newcomer = a.acquireSlot('cc:q', queued);
    expect(newcomer).toBeInstanceOf(Promise);
    expect(await first).toBe('acquired');
    b.releaseSlot('cc:q', queued);
    expect(await newcomer).toBe('acquired');
  });

  it('a timed-out waiter answers timeout and leaves no ticket; the next waiter is served', async () => {
    const { a, b, slots } = node();
    const short = { ...queued, queueTimeoutMs: 20 };
    expect(a.acquireSlot('cc:q', short)).toBe('acquired');
    const late = b.acquireSlot('cc:q', short);
    expect(await late).toBe('timeout');
    expect(slots.queued('cc:q', 1, 3)).toBe(0);
    const next = a.acquireSlot('cc:q', { ...short, queueTimeoutMs: 5_000 });
    a.releaseSlot('cc:q', short);
    expect(await next).toBe('acquired');
    a.releaseSlot('cc:q', short);
    expect(allZero(slots)).toBe(true);
  });

  it('an aborted waiter (client gone) gives its place back at once', async () => {
    const { a, b, slots } = node();
    const one = { ...queued, queueSize: 1 };
    expect(a.acquireSlot('cc:q', one)).toBe('acquired');
    const controller = new AbortController();
    const gone = b.acquireSlot('cc:q', one, controller.signal);
    expect(b.acquireSlot('cc:q', one)).toBe('full');
    controller.abort();
    expect(await gone).toBe('aborted');
    const next = b.acquireSlot('cc:q', one);
    a.releaseSlot('cc:q', one);
    expect(await next).toBe('acquired');
    b.releaseSlot('cc:q', one);
    expect(allZero(slots)).toBe(true);
  });

  it('no leak after many cancelled waiters, cancelled in any order, some just as they were served', async () => {
    const { a, b, slots } = node();
    const wide = { limit: 2, queueSize: 500, queueTimeoutMs: 5_000 };
    expect(a.acquireSlot('cc:q', wide)).toBe('acquired');
    expect(b.acquireSlot('cc:q', wide)).toBe('acquired');
    const controllers = Array.from({ length: 400 }, () => new AbortController());
    const outcomes = controllers.map((c, i) => Promise.resolve((i % 2 ? a : b).acquireSlot('cc:q', wide, c.signal)));
    expect(slots.queued('cc:q', 2, 500)).toBe(400);
    // Every other one from the back, then a release (served to the oldest left), then the rest.
    for (let i = controllers.length - 1; i >= 0; i -= 2) controllers[i]!.abort();
    a.releaseSlot('cc:q', wide);
    for (const c of controllers) c.abort();
    const results = await Promise.all(outcomes);
    expect(results.filter((r) => r === 'acquired')).toEqual([]);
    expect(slots.queued('cc:q', 2, 500)).toBe(0);
    expect(slots.inFlight('cc:q', 2, 500)).toBe(1);
    b.releaseSlot('cc:q', wide);
    expect(allZero(slots)).toBe(true);
    expect(a.waiting + b.waiting).toBe(0);
  });

  it("a dead worker's slots go to the other worker's waiters, and its places in line are dropped", async () => {
    const { a, b, slots } = node();
    expect(b.acquireSlot('cc:q', queued)).toBe('acquired');
    const doomed = b.acquireSlot('cc:q', queued);
    const survivor = a.acquireSlot('cc:q', queued);
    void doomed;
    // What the primary does when worker 2 exits (after freeing its locks).
    expect(slots.freeOwner(2)).toBe(1);
    expect(await survivor).toBe('acquired');
    expect(slots.queued('cc:q', 1, 3)).toBe(0);
    expect(slots.heldBy(1)).toBe(1);
  });

  it('the policy answers concurrency_limited (429) from the error catalog on a timeout', async () => {
    const { a, b } = node();
    const config = { limit: 1, queueSize: 1, queueTimeout: '30ms' };
    const pa = createPolicy(concurrencyLimitPolicy, config, testPolicyEnv({ nodeLimits: a }));
    const pb = createPolicy(concurrencyLimitPolicy, config, testPolicyEnv({ nodeLimits: b }));
    const first = createTestContext({ subscriptionId: 'sub' });
    await pa.request!(first);
    const error = await Promise.resolve(pb.request!(createTestContext({ subscriptionId: 'sub' }))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('concurrency_limited');
    expect((error as GatewayError).status).toBe(429);
    expect((error as GatewayError).detail).toMatch(/No request slot freed up within 30ms/);
    first.finish();
  });
});

// Threads need the compiled modules (a worker cannot import TypeScript sources).
const built = {
  table: new URL('../../dist/stores/shared-table.js', import.meta.url).href,
  slots: new URL('../../dist/stores/shared-slots.js', import.meta.url).href,
  counters: new URL('../../dist/stores/shared-counters.js', import.meta.url).href,
};

/** A worker thread with a SharedNodeLimits of owner `owner` over the node's buffers; `body` runs with `limits`. */
function thread<T>(body: string, data: Record<string, unknown>): { worker: Worker; result: Promise<T> } {
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    Promise.all([import(workerData.built.table), import(workerData.built.slots), import(workerData.built.counters)])
      .then(async ([t, s, c]) => {
        const { owner } = workerData;
        const table = new t.SharedTable({ buffer: workerData.buffer, owner });
        const slots = new s.SharedSlots(table, { buffer: workerData.words, owner });
        const fallback = { acquireSlot: () => 'full', releaseSlot: () => { throw new Error('fallback'); }, takeCell: () => ({}) };
        const limits = new c.SharedNodeLimits(table, fallback, Date.now, slots);
        const probe = new Int32Array(workerData.probe);
        ${body}
      })
      .catch((error) => parentPort.postMessage({ error: String(error && error.stack || error) }));`;
  const worker = new Worker(code, { eval: true, workerData: { ...data, built } });
  const result = new Promise<T>((resolve, reject) => {
    worker.once('message', (m: T & { error?: string }) => (m?.error ? reject(new Error(m.error)) : resolve(m)));
    worker.once('error', reject);
  });
  return { worker, result };
}

describe.runIf(existsSync(new URL(built.counters)))('queued pools across worker threads', () => {
  it('4 threads: never more than the limit in flight, the line never beyond queueSize, nothing left over', async () => {
    const THREADS = 4;
    const table = new SharedTable({ capacity: 1024 });
    const slots = new SharedSlots(table, { owners: THREADS });
    // [0] start gate, [1] in flight now, [2] most in flight ever.
    const probe = new SharedArrayBuffer(12);
    const body = `
      const pool = { limit: 3, queueSize: 6, queueTimeoutMs: 40 };
      Atomics.add(probe, 0, 1);
      while (Atomics.load(probe, 0) < ${THREADS}) Atomics.wait(probe, 0, Atomics.load(probe, 0), 5);
      const tally = { acquired: 0, full: 0, timeout: 0, aborted: 0, mostQueued: 0 };
      async function client(i) {
        for (let n = 0; n < 60; n++) {
          const controller = new AbortController();
          if ((n + i) % 9 === 0) setTimeout(() => controller.abort(), 1);
          const outcome = await limits.acquireSlot('cc:all', pool, controller.signal);
          tally[outcome]++;
          tally.mostQueued = Math.max(tally.mostQueued, slots.queued('cc:all', 3, 6));
          if (outcome !== 'acquired') continue;
          const inside = Atomics.add(probe, 1, 1) + 1;
          let seen = Atomics.load(probe, 2);
          while (inside > seen && Atomics.compareExchange(probe, 2, seen, inside) !== seen) seen = Atomics.load(probe, 2);
          await new Promise((r) => setTimeout(r, n % 3));
          Atomics.sub(probe, 1, 1);
          limits.releaseSlot('cc:all', pool);
        }
      }
      await Promise.all(Array.from({ length: 6 }, (_, i) => client(i)));
      parentPort.postMessage(tally);`;
    const threads = Array.from({ length: THREADS }, (_, i) =>
      thread<Record<string, number>>(body, { buffer: table.buffer, words: slots.buffer, probe, owner: i + 1 }),
    );
    const results = await Promise.all(threads.map((t) => t.result));
    await Promise.all(threads.map((t) => t.worker.terminate()));
    expect(new Int32Array(probe)[2]).toBe(3);
    const sum = (k: string) => results.reduce((s, r) => s + r[k]!, 0);
    expect(sum('acquired') + sum('full') + sum('timeout') + sum('aborted')).toBe(THREADS * 6 * 60);
    // Some really waited and were served (more acquired than a queue-less pool would have let in at once).
    expect(sum('acquired')).toBeGreaterThan(0);
    expect(sum('aborted')).toBeGreaterThan(0);
    expect(Math.max(...results.map((r) => r.mostQueued!))).toBeLessThanOrEqual(6);
    expect(slots.inFlight('cc:all', 3, 6)).toBe(0);
    expect(allZero(slots)).toBe(true);
  }, 60_000);

  it('serves waiters of three threads in the order they joined the line', async () => {
    const THREADS = 3;
    const table = new SharedTable({ capacity: 1024 });
    const slots = new SharedSlots(table, { owners: THREADS + 1 });
    // The test's thread (owner 1) holds the only slot while the threads queue in a set order.
    const holder = new SharedNodeLimits(
      new SharedTable({ buffer: table.buffer, owner: 1 }),
      new LocalNodeLimits(),
      Date.now,
      new SharedSlots(new SharedTable({ buffer: table.buffer, owner: 1 }), { buffer: slots.buffer, owner: 1 }),
    );
    const pool = { limit: 1, queueSize: 12, queueTimeoutMs: 20_000 };
    expect(holder.acquireSlot('cc:fifo', pool)).toBe('acquired');
    // [0] whose turn to join (0..11), [1] next served position, [2..13] joined position -> served position.
    const probe = new SharedArrayBuffer(4 * 14);
    const body = `
      const pool = ${JSON.stringify(pool)};
      const mine = [];
      for (let turn = owner - 2; turn < 12; turn += ${THREADS}) {
        while (Atomics.load(probe, 0) !== turn) Atomics.wait(probe, 0, Atomics.load(probe, 0), 5);
        // take() happens synchronously inside acquireSlot: the ticket is drawn before the next turn.
        mine.push(Promise.resolve(limits.acquireSlot('cc:fifo', pool)).then(async (outcome) => {
          Atomics.store(probe, 2 + turn, Atomics.add(probe, 1, 1));
          await new Promise((r) => setTimeout(r, 2));
          limits.releaseSlot('cc:fifo', pool);
          return outcome;
        }));
        Atomics.store(probe, 0, turn + 1);
      }
      parentPort.postMessage(await Promise.all(mine));`;
    const threads = Array.from({ length: THREADS }, (_, i) =>
      thread<string[]>(body, { buffer: table.buffer, words: slots.buffer, probe, owner: i + 2 }),
    );
    const view = new Int32Array(probe);
    await expect.poll(() => Atomics.load(view, 0), { timeout: 20_000 }).toBe(12);
    expect(slots.queued('cc:fifo', 1, 12)).toBe(12);
    holder.releaseSlot('cc:fifo', pool);
    const results = await Promise.all(threads.map((t) => t.result));
    await Promise.all(threads.map((t) => t.worker.terminate()));
    expect(results.flat().every((r) => r === 'acquired')).toBe(true);
    expect([...view.slice(2)]).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(allZero(slots)).toBe(true);
  }, 60_000);

  it("a terminated thread's slots and places come back: its slot goes to the next waiter", async () => {
    const table = new SharedTable({ capacity: 64 });
    const slots = new SharedSlots(table, { owners: 2 });
    const pool = { limit: 2, queueSize: 4, queueTimeoutMs: 20_000 };
    const body = `
      const pool = ${JSON.stringify(pool)};
      const held = [limits.acquireSlot('cc:dead', pool), limits.acquireSlot('cc:dead', pool)];
      void limits.acquireSlot('cc:dead', pool); // waits in line when the thread is terminated
      parentPort.postMessage(held);
      setInterval(() => {}, 1000);`;
    const dying = thread<SlotAcquisition[]>(body, {
      buffer: table.buffer,
      words: slots.buffer,
      probe: new SharedArrayBuffer(4),
      owner: 2,
    });
    expect(await dying.result).toEqual(['acquired', 'acquired']);
    const survivor = new SharedNodeLimits(
      new SharedTable({ buffer: table.buffer, owner: 1 }),
      new LocalNodeLimits(),
      Date.now,
      new SharedSlots(new SharedTable({ buffer: table.buffer, owner: 1 }), { buffer: slots.buffer, owner: 1 }),
    );
    const waiting = survivor.acquireSlot('cc:dead', pool);
    expect(slots.queued('cc:dead', 2, 4)).toBe(2);
    await dying.worker.terminate();
    // What the primary does when a worker exits: its locks, then everything it had.
    table.releaseOwner(2);
    expect(slots.freeOwner(2)).toBe(2);
    expect(await waiting).toBe('acquired');
    expect(slots.queued('cc:dead', 2, 4)).toBe(0);
    expect(slots.inFlight('cc:dead', 2, 4)).toBe(1);
    survivor.releaseSlot('cc:dead', pool);
    expect(allZero(slots)).toBe(true);
  }, 60_000);
});
