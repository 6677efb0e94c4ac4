import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { GatewayError } from '@gatehouse/core';
import { afterEach, describe, expect, it } from 'vitest';
import { concurrencyLimitPolicy } from '../concurrency-limit/index.js';
import type { PolicyHandlers } from '../sdk/types.js';
import { createTestContext } from '../testing/context.js';
import { createPolicy, testPolicyEnv } from '../testing/index.js';
import { LocalNodeLimits } from './node-limits.js';
import { SharedCounterStore, SharedNodeLimits } from './shared-counters.js';
import { SharedSlots } from './shared-slots.js';
import { MAX_KEY_LENGTH, SharedTable } from './shared-table.js';

const locals: LocalNodeLimits[] = [];
afterEach(() => {
  for (const l of locals.splice(0)) l.close();
});

/** Two workers' NodeLimits over one table, both falling back to one primary's pools. */
function node(capacity = 1024) {
  const table = new SharedTable({ capacity });
  const slots = new SharedSlots(table, { owners: 2 });
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

const queueless = { limit: 2, queueSize: 0, queueTimeoutMs: 1000 };

async function outcome(policy: PolicyHandlers, ctx = createTestContext({ subscriptionId: 'sub' })): Promise<string> {
  try {
    await policy.request!(ctx);
    return 'ok';
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return String(error.status);
  }
}

describe('SharedSlots', () => {
  it('two workers share one pool in the table; a release gives the slot back; the primary sees nothing', () => {
    const { a, b, slots, primary } = node();
    expect(a.acquireSlot('cc:x', queueless)).toBe('acquired');
    expect(b.acquireSlot('cc:x', queueless)).toBe('acquired');
    expect(a.acquireSlot('cc:x', queueless)).toBe('full');
    expect(b.acquireSlot('cc:x', queueless)).toBe('full');
    expect(slots.inFlight('cc:x', 2)).toBe(2);
    // Another key, and the same key with another limit (a reload), are other pools.
    expect(a.acquireSlot('cc:y', queueless)).toBe('acquired');
    expect(a.acquireSlot('cc:x', { ...queueless, limit: 3 })).toBe('acquired');
    b.releaseSlot('cc:x', queueless);
    expect(slots.inFlight('cc:x', 2)).toBe(1);
    expect(a.acquireSlot('cc:x', queueless)).toBe('acquired');
    expect(primary.inFlight('cc:x', queueless)).toBe(0);
  });

  it('a release by a worker that holds nothing of the key changes nothing', () => {
    const { a, b, slots } = node();
    expect(a.acquireSlot('cc:x', queueless)).toBe('acquired');
    expect(slots.release('cc:x', 2, 2)).toBe(false);
    b.releaseSlot('cc:x', queueless);
    expect(slots.inFlight('cc:x', 2)).toBe(1);
  });

  it('frees the slots a dead worker held, and only those', () => {
    const { a, b, slots } = node();
    expect(a.acquireSlot('cc:x', queueless)).toBe('acquired');
    expect(b.acquireSlot('cc:x', queueless)).toBe('acquired');
    expect(b.acquireSlot('cc:y', queueless)).toBe('acquired');
    expect(slots.freeOwner(2)).toBe(2);
    expect(slots.inFlight('cc:x', 2)).toBe(1);
    expect(slots.inFlight('cc:y', 2)).toBe(0);
    expect(slots.freeOwner(2)).toBe(0);
    // The survivor's slot is still its own to give back.
    a.releaseSlot('cc:x', queueless);
    expect(slots.inFlight('cc:x', 2)).toBe(0);
  });

  it('a pool with a waiting line waits in the table too: the primary sees nothing', async () => {
    const { a, b, primary, table, slots } = node();
    const queued = { limit: 1, queueSize: 5, queueTimeoutMs: 1000 };
    expect(a.acquireSlot('cc:q', queued)).toBe('acquired');
    const waiting = b.acquireSlot('cc:q', queued);
    expect(slots.queued('cc:q', 1, 5)).toBe(1);
    a.releaseSlot('cc:q', queued);
    expect(await waiting).toBe('acquired');
    expect(slots.heldBy(2)).toBe(1);
    expect(primary.inFlight('cc:q', queued)).toBe(0);
    expect(table.placed).toBe(1);
    b.releaseSlot('cc:q', queued);
    expect(slots.inFlight('cc:q', 1, 5)).toBe(0);
  });

  it('when the table is full, a new key goes to the primary; while the primary holds one, no new key starts in the table', () => {
    const { a, b, slots, primary, table } = node(64);
    const counters = new SharedCounterStore(table, undefined as never);
    // Sixty-three live counters and one live pool fill the table.
    for (let i = 0; i < 63; i++) counters.hit({ key: `rl:${i}`, windowMs: 60_000, algorithm: 'fixed', limit: 9 });
    expect(a.acquireSlot('cc:in-table', queueless)).toBe('acquired');
    expect(table.placed).toBe(64);
    // No room: the primary counts it, for both workers, exactly.
    expect(a.acquireSlot('cc:overflow', queueless)).toBe('acquired');
    expect(b.acquireSlot('cc:overflow', queueless)).toBe('acquired');
    expect(a.acquireSlot('cc:overflow', queueless)).toBe('full');
    expect(primary.inFlight('cc:overflow', queueless)).toBe(2);
    // A key longer than a slot holds goes there too.
    const long = `cc:${'x'.repeat(MAX_KEY_LENGTH)}`;
    expect(a.acquireSlot(long, queueless)).toBe('acquired');
    expect(primary.inFlight(long, queueless)).toBe(1);
    // A key already in the table stays there.
    expect(b.acquireSlot('cc:in-table', queueless)).toBe('acquired');
    expect(slots.inFlight('cc:in-table', 2)).toBe(2);
    // The pool's slot frees up (idle, then its keep-time passes: forced here): a new key would fit, but the
    // primary holds slots of its own, so a worker does not start a key in the table (it might be one of them).
    a.releaseSlot('cc:in-table', queueless);
    b.releaseSlot('cc:in-table', queueless);
    table.withSlot('\u0002slot:2:cc:in-table', Date.now(), false, (slot) => {
      slot.numbers[slot.at + 4] = 0;
    });
    slots.primaryHeld(1); // as the primary's LimitsHost counts what it holds for queue-less pools
    expect(slots.acquire('cc:new', 2, 1)).toBeUndefined();
    // The primary itself (it checked its own pools first) may start it in the table.
    expect(slots.acquire('cc:new', 2, 1, true)).toBe('acquired');
    expect(a.acquireSlot('cc:new', queueless)).toBe('acquired');
    expect(slots.inFlight('cc:new', 2)).toBe(2);
    // A release of what the primary granted goes back to the primary.
    a.releaseSlot('cc:overflow', queueless);
    expect(primary.inFlight('cc:overflow', queueless)).toBe(1);
  });
});

describe('SharedNodeLimits with concurrency-limit policies', () => {
  it('two instances (two workers) share the slots; a finished request gives its slot back', async () => {
    const { a, b, table } = node();
    const config = { limit: 2 };
    const pa = createPolicy(concurrencyLimitPolicy, config, testPolicyEnv({ nodeLimits: a }));
    const pb = createPolicy(concurrencyLimitPolicy, config, testPolicyEnv({ nodeLimits: b }));
    const first = createTestContext({ subscriptionId: 'sub' });
    expect(await outcome(pa, first)).toBe('ok');
    expect(await outcome(pb)).toBe('ok');
    expect(await outcome(pa)).toBe('429');
    expect(await outcome(pb)).toBe('429');
    first.finish();
    expect(await outcome(pb)).toBe('ok');
    expect(table.placed).toBe(1);
  });
});

// Threads need the compiled modules (a worker cannot import TypeScript sources).
const builtTable = new URL('../../dist/stores/shared-table.js', import.meta.url);
const builtSlots = new URL('../../dist/stores/shared-slots.js', import.meta.url);

function thread<T>(code: string, workerData: Record<string, unknown>): { worker: Worker; result: Promise<T> } {
  const worker = new Worker(code, {
    eval: true,
    workerData: { ...workerData, table: builtTable.href, slotsModule: builtSlots.href },
  });
  const result = new Promise<T>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, result };
}

describe.runIf(existsSync(builtSlots))('shared slots across worker threads', () => {
  it('4 threads taking and giving back slots of one pool never have more than the limit in flight', async () => {
    const THREADS = 4;
    const LIMIT = 2;
    const table = new SharedTable({ capacity: 1024 });
    const slots = new SharedSlots(table, { owners: THREADS });
    // [0] start gate, [1] requests inside right now, [2] the most ever seen inside.
    const probe = new SharedArrayBuffer(12);
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      Promise.all([import(workerData.table), import(workerData.slotsModule)]).then(([t, s]) => {
        const { owner } = workerData;
        const slots = new s.SharedSlots(new t.SharedTable({ buffer: workerData.buffer, owner }), { buffer: workerData.holdings, owner });
        const probe = new Int32Array(workerData.probe);
        Atomics.add(probe, 0, 1);
        while (Atomics.load(probe, 0) < ${THREADS}) Atomics.wait(probe, 0, Atomics.load(probe, 0), 5);
        let acquired = 0, full = 0, fallback = 0;
        for (let i = 0; i < 40000; i++) {
          const outcome = slots.acquire('cc:all', ${LIMIT});
          if (outcome === undefined) { fallback++; continue; }
          if (outcome === 'full') { full++; continue; }
          acquired++;
          const inside = Atomics.add(probe, 1, 1) + 1;
          let seen = Atomics.load(probe, 2);
          while (inside > seen && Atomics.compareExchange(probe, 2, seen, inside) !== seen) seen = Atomics.load(probe, 2);
          for (let spin = 0; spin < (i % 7) * 20; spin++);
          Atomics.sub(probe, 1, 1);
          if (!slots.release('cc:all', ${LIMIT})) throw new Error('not held');
        }
        parentPort.postMessage({ acquired, full, fallback });
      });`;
    const threads = Array.from({ length: THREADS }, (_, i) =>
      thread<{ acquired: number; full: number; fallback: number }>(code, {
        buffer: table.buffer,
        holdings: slots.buffer,
        probe,
        owner: i + 1,
      }),
    );
    const results = await Promise.all(threads.map((t) => t.result));
    await Promise.all(threads.map((t) => t.worker.terminate()));
    const probeView = new Int32Array(probe);
    expect(probeView[2]).toBeLessThanOrEqual(LIMIT);
    // The threads really contended (some were refused: more wanted in than the limit), none went elsewhere.
    expect(results.reduce((sum, r) => sum + r.full, 0)).toBeGreaterThan(0);
    expect(results.every((r) => r.acquired > 0 && r.fallback === 0)).toBe(true);
    expect(results.reduce((sum, r) => sum + r.acquired + r.full, 0)).toBe(THREADS * 40000);
    // Every acquire was given back: the count is exactly zero (a lost update would leave it off).
    expect(slots.inFlight('cc:all', LIMIT)).toBe(0);
    expect(new Int32Array(slots.buffer).some((n) => n !== 0)).toBe(false);
  });

  it('gives back the slots of a thread terminated while it held them', async () => {
    const table = new SharedTable({ capacity: 64 });
    const slots = new SharedSlots(table, { owners: 2 });
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      Promise.all([import(workerData.table), import(workerData.slotsModule)]).then(([t, s]) => {
        const { owner } = workerData;
        const slots = new s.SharedSlots(new t.SharedTable({ buffer: workerData.buffer, owner }), { buffer: workerData.holdings, owner });
        parentPort.postMessage([slots.acquire('cc:all', 4), slots.acquire('cc:all', 4), slots.acquire('cc:other', 4)]);
        setInterval(() => {}, 1000);
      });`;
    const dying = thread<string[]>(code, { buffer: table.buffer, holdings: slots.buffer, owner: 2 });
    expect(await dying.result).toEqual(['acquired', 'acquired', 'acquired']);
    expect(slots.acquire('cc:all', 4, 1)).toBe('acquired');
    await dying.worker.terminate();
    expect(slots.inFlight('cc:all', 4)).toBe(3);
    // What the primary does when a worker exits: its locks, then its slots.
    table.releaseOwner(2);
    expect(slots.freeOwner(2)).toBe(3);
    expect(slots.inFlight('cc:all', 4)).toBe(1);
    expect(slots.inFlight('cc:other', 4)).toBe(0);
  });
});
