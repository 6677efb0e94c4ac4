import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { CounterStore, HitRequest } from '../sdk/counters/types.js';
import { MemoryCounterStore } from './memory-counters.js';
import { LocalNodeLimits } from './node-limits.js';
import { SharedCounterStore, SharedNodeLimits } from './shared-counters.js';
import { MAX_KEY_LENGTH, SharedTable } from './shared-table.js';

function fakeClock(start: number) {
  const clock = { now: start, advance: (ms: number) => (clock.now += ms) };
  return clock;
}

const closers: Array<{ close(): unknown }> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

function pair(clock: { now: number }, capacity = 1024) {
  const fallback = new MemoryCounterStore({ now: () => clock.now });
  const memory = new MemoryCounterStore({ now: () => clock.now });
  closers.push(fallback, memory);
  const table = new SharedTable({ capacity });
  return { table, fallback, memory, shared: new SharedCounterStore(table, fallback, () => clock.now) };
}

describe('SharedCounterStore', () => {
  it('gives the same answers as MemoryCounterStore, fixed and sliding, across windows', async () => {
    const clock = fakeClock(1_000_250);
    const { shared, memory } = pair(clock);
    const requests: HitRequest[] = [
      { key: 'rl:a', windowMs: 1000, algorithm: 'fixed', limit: 3 },
      { key: 'rl:b', windowMs: 1000, algorithm: 'sliding', limit: 4 },
      { key: 'q:c', windowMs: 5000, algorithm: 'fixed', limit: 5, cost: 2, windowStartMs: 300 },
    ];
    for (let step = 0; step < 60; step++) {
      for (const request of requests) {
        expect(await shared.hit(request)).toEqual(memory.hit(request));
        expect(await shared.peek(request)).toEqual(memory.peek(request));
      }
      clock.advance(137);
    }
    expect(await shared.add('ap:d', 1000, 5)).toBe(await memory.add('ap:d', 1000, 5));
    expect(await shared.add('ap:d', 1000, 2)).toBe(7);
  });

  it('sends a key too long for a slot to the fallback, consistently', async () => {
    const clock = fakeClock(10_000);
    const { shared, fallback, table } = pair(clock);
    const request: HitRequest = {
      key: `rl:${'x'.repeat(MAX_KEY_LENGTH)}`,
      windowMs: 1000,
      algorithm: 'fixed',
      limit: 2,
    };
    expect([1, 2, 3].map(() => (shared.hit(request) as { count: number }).count)).toEqual([1, 2, 3]);
    expect(fallback.peek(request).count).toBe(2);
    expect(table.placed).toBe(0);
  });

  it('when full, sends new keys to the fallback without touching live ones, and reuses expired slots', async () => {
    const clock = fakeClock(10_000);
    const { shared, table, fallback } = pair(clock, 64);
    const hit = (key: string) => shared.hit({ key, windowMs: 1000, algorithm: 'fixed', limit: 1 }) as { count: number };
    for (let i = 0; i < 64; i++) expect(hit(`k${i}`).count).toBe(1);
    expect(table.placed).toBe(64);
    expect(hit('overflow').count).toBe(1);
    expect(table.refused).toBe(1);
    expect(fallback.size).toBe(1);
    // The live keys kept their counts: every one of them is still refused.
    for (let i = 0; i < 64; i++) expect(hit(`k${i}`).count).toBe(2);
    // Two windows later every slot has expired: a new key takes one.
    clock.advance(2000);
    expect(hit('later').count).toBe(1);
    expect(table.placed).toBe(64);
    expect(table.refused).toBe(1);
  });

  it('frees the locks of a thread that died holding them', () => {
    const table = new SharedTable({ capacity: 64 });
    const view = new Int32Array(table.buffer);
    // Slot 0's lock word (header is one slot long), held by owner 7.
    view[512 / 4 + 1] = 7;
    expect(table.releaseOwner(7)).toBe(1);
    expect(view[512 / 4 + 1]).toBe(0);
  });
});

describe('SharedNodeLimits.takeCell', () => {
  it('admits a burst, then one per interval, like GcraLimiter', async () => {
    const clock = fakeClock(50_000);
    const local = new LocalNodeLimits(() => clock.now);
    closers.push(local);
    const limits = new SharedNodeLimits(new SharedTable({ capacity: 64 }), local, () => clock.now);
    const take = () => limits.takeCell('spike:x', 100, 3) as { allowed: boolean; retryAfterMs: number };
    expect([take(), take(), take()].map((a) => a.allowed)).toEqual([true, true, true]);
    expect(take()).toEqual({ allowed: false, retryAfterMs: 100 });
    clock.advance(100);
    expect(take().allowed).toBe(true);
    expect(take().allowed).toBe(false);
  });
});

// Threads need the compiled module (a worker cannot import TypeScript sources).
const built = new URL('../../dist/stores/shared-table.js', import.meta.url);
const builtStore = new URL('../../dist/stores/shared-counters.js', import.meta.url);

describe.runIf(existsSync(built))('shared table across worker threads', () => {
  it('4 threads hammering one key admit exactly the limit, and a spike-arrest burst exactly', async () => {
    const table = new SharedTable({ capacity: 1024 });
    // Windows start now: the run never straddles a window boundary.
    const anchor = Date.now();
    const gate = new SharedArrayBuffer(4);
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      Promise.all([import(workerData.table), import(workerData.store)]).then(([t, s]) => {
        const table = new t.SharedTable({ buffer: workerData.buffer, owner: workerData.owner });
        const never = { hit() { throw new Error('fallback used'); }, peek() {}, add() {}, close() {} };
        const store = new s.SharedCounterStore(table, never);
        const cells = new s.SharedNodeLimits(table, { takeCell() { throw new Error('fallback used'); } });
        let admitted = 0, cellsAdmitted = 0;
        // Start together, so the threads really contend (they start one by one).
        const gate = new Int32Array(workerData.gate);
        Atomics.add(gate, 0, 1);
        while (Atomics.load(gate, 0) < 4) Atomics.wait(gate, 0, Atomics.load(gate, 0), 5);
        for (let i = 0; i < 50000; i++) {
          if (store.hit({ key: 'rl:one', windowMs: 3600000, windowStartMs: workerData.anchor, algorithm: 'fixed', limit: 100000 }).count <= 100000) admitted++;
          if (store.hit({ key: 'rl:k' + (i % 50), windowMs: 3600000, windowStartMs: workerData.anchor, algorithm: 'sliding', limit: 100 }).count <= 100) {}
          if (cells.takeCell('spike:one', 3600000, 80000).allowed) cellsAdmitted++;
        }
        parentPort.postMessage({ admitted, cellsAdmitted });
      });`;
    const workers = [1, 2, 3, 4].map(
      (owner) =>
        new Worker(code, {
          eval: true,
          workerData: { buffer: table.buffer, gate, owner, anchor, table: built.href, store: builtStore.href },
        }),
    );
    const results = await Promise.all(
      workers.map(
        (w) =>
          new Promise<{ admitted: number; cellsAdmitted: number }>((resolve, reject) => {
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    await Promise.all(workers.map((w) => w.terminate()));
    expect(results.reduce((sum, r) => sum + r.admitted, 0)).toBe(100000);
    expect(results.reduce((sum, r) => sum + r.cellsAdmitted, 0)).toBe(80000);
    // 1 + 50 counter keys and 1 cell; none went anywhere else.
    expect(table.placed).toBe(52);
    expect(table.refused).toBe(0);
    const store = new SharedCounterStore(table, undefined as unknown as CounterStore);
    for (let k = 0; k < 50; k++)
      expect(
        (
          store.peek({
            key: `rl:k${k}`,
            windowMs: 3600000,
            windowStartMs: anchor,
            algorithm: 'sliding',
            limit: 100,
          }) as { count: number }
        ).count,
      ).toBe(100);
  });
});
