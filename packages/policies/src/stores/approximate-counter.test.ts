import { describe, expect, it } from 'vitest';
import { ApproximateQuotaCounter } from '../quota/approximate.js';
import { ApproximateRateLimiter } from '../rate-limit/approximate.js';
import type { CounterStore } from '../sdk/counters/types.js';
import { ApproximateCounter } from './approximate-counter.js';
import { MemoryCounterStore } from './memory-counters.js';

const MINUTE = 60_000;
const START = MINUTE * 29_000_000;

/** A shared store whose answers take `delayMs`, as a remote Redis under load would. */
function slowStore(delayMs: number): CounterStore & { inner: MemoryCounterStore } {
  const inner = new MemoryCounterStore();
  const later = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), delayMs));
  return {
    inner,
    kind: 'memory',
    hit: (request) => inner.hit(request),
    peek: (request) => inner.peek(request),
    add: async (key, windowMs, delta, start) => later(await inner.add(key, windowMs, delta, start)),
    close: () => inner.close(),
  };
}

describe('approximate counters: hits being pushed still count', () => {
  it('quota: limit 3, 3 hits, a sync on a 50 ms store, 3 more hits: 3 admitted in all', async () => {
    const store = slowStore(50);
    const quota = new ApproximateQuotaCounter(store, 3, 3_600_000, (error) => {
      throw error;
    });
    const bounds = { startMs: Date.now() - 1000, endMs: Date.now() + 3_600_000 };
    const admitted = async () => (await quota.admit('q:key', bounds)).admitted;
    const first = [await admitted(), await admitted(), await admitted()];
    const sync = quota.sync();
    const second = [await admitted(), await admitted(), await admitted()];
    await sync;
    expect(first).toEqual([true, true, true]);
    expect(second).toEqual([false, false, false]);
    expect(await store.inner.add('q:key', bounds.endMs - bounds.startMs, 0, bounds.startMs)).toBe(3);
    await quota.close();
  });

  it('rate-limit: limit 3, 3 hits, a sync on a 50 ms store, 3 more hits: 3 admitted in all', async () => {
    const store = slowStore(50);
    let now = START + 1000;
    const limiter = new ApproximateRateLimiter({
      store,
      windowMs: MINUTE,
      algorithm: 'fixed',
      syncIntervalMs: 3_600_000,
      now: () => now,
    });
    const admitted = () => limiter.hit('rl:key', 3).count <= 3;
    const first = [admitted(), admitted(), admitted()];
    const sync = limiter.sync();
    now += 10;
    const second = [admitted(), admitted(), admitted()];
    await sync;
    expect(first).toEqual([true, true, true]);
    expect(second).toEqual([false, false, false]);
    await limiter.close();
  });

  it('a failed push puts the hits back into pending, so they still count and are pushed later', async () => {
    const inner = new MemoryCounterStore();
    let failing = true;
    const store: CounterStore = {
      ...inner,
      kind: 'memory',
      hit: (r) => inner.hit(r),
      peek: (r) => inner.peek(r),
      close: () => inner.close(),
      add: (key, windowMs, delta, start) =>
        failing ? Promise.reject(new Error('store down')) : inner.add(key, windowMs, delta, start),
    };
    const errors: unknown[] = [];
    const counter = new ApproximateCounter({ store, syncIntervalMs: 3_600_000, onSyncError: (e) => errors.push(e) });
    const window = counter.window('k', { startMs: Date.now() - 10, lengthMs: MINUTE });
    counter.admit(window, 2);
    await counter.sync();
    expect(errors).toHaveLength(1);
    expect(ApproximateCounter.count(window)).toBe(2);
    failing = false;
    await counter.sync();
    expect(window.shared).toBe(2);
    expect(window.pending + window.inFlight).toBe(0);
    await counter.close();
  });
});

describe('approximate counters: memory and time', () => {
  it('keeps at most maxKeys windows', () => {
    const counter = new ApproximateCounter({ store: new MemoryCounterStore(), syncIntervalMs: 3_600_000, maxKeys: 2 });
    for (const key of ['a', 'b', 'c']) counter.window(key, { startMs: START, lengthMs: MINUTE });
    expect(counter.size).toBe(2);
    void counter.close();
  });

  it('rolls windows on the injected clock and carries the previous total for sliding windows', () => {
    let now = START + 30_000;
    const limiter = new ApproximateRateLimiter({
      store: new MemoryCounterStore(),
      windowMs: MINUTE,
      algorithm: 'sliding',
      syncIntervalMs: 3_600_000,
      now: () => now,
    });
    for (let i = 0; i < 10; i++) expect(limiter.hit('k', 10).count).toBeLessThanOrEqual(10);
    expect(limiter.hit('k', 10).count).toBeGreaterThan(10);
    // A quarter into the next window, three quarters of the previous 10 still weigh in: 2 more fit.
    now = START + MINUTE + 15_000;
    expect(limiter.hit('k', 10).count).toBeLessThanOrEqual(10);
    expect(limiter.hit('k', 10).count).toBeLessThanOrEqual(10);
    expect(limiter.hit('k', 10).count).toBeGreaterThan(10);
    void limiter.close();
  });

  it('forgets ended primed (quota) windows at the next sync', async () => {
    let now = START + 1000;
    const counter = new ApproximateCounter({
      store: new MemoryCounterStore(),
      syncIntervalMs: 3_600_000,
      primeFromStore: true,
      now: () => now,
    });
    const window = counter.window('q', { startMs: START, lengthMs: MINUTE });
    await window.ready;
    counter.admit(window);
    await counter.sync();
    now = START + MINUTE + 1;
    await counter.sync();
    expect(counter.size).toBe(0);
    await counter.close();
  });
});
