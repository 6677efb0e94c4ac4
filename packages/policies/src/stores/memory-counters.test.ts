import { afterEach, describe, expect, it } from 'vitest';
import type { HitRequest } from '../sdk/counters/types.js';
import { MemoryCounterStore } from './memory-counters.js';

/** A clock the test moves by hand. */
function fakeClock(start: number) {
  const clock = { now: start, advance: (ms: number) => (clock.now += ms) };
  return clock;
}

const stores: MemoryCounterStore[] = [];
function storeAt(clock: { now: number }, maxEntries?: number) {
  const store = new MemoryCounterStore({ now: () => clock.now, maxEntries });
  stores.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

describe('MemoryCounterStore fixed window', () => {
  const request: HitRequest = { key: 'k', windowMs: 1000, algorithm: 'fixed', limit: 3 };

  it('admits up to the limit, does not count refused hits, and resets at the window boundary', () => {
    const clock = fakeClock(10_250);
    const store = storeAt(clock);
    expect([1, 2, 3].map(() => store.hit(request).count)).toEqual([1, 2, 3]);
    const refused = store.hit(request);
    expect(refused.count).toBe(4);
    expect(refused.resetMs).toBe(750);
    // The refused hit left the window at 3, so remaining is exact.
    expect(store.peek(request).count).toBe(3);
    clock.advance(749);
    expect(store.hit(request).count).toBe(4);
    clock.advance(1);
    const fresh = store.hit(request);
    expect(fresh).toEqual({ count: 1, resetMs: 1000, degraded: false });
  });

  it('aligns windows to windowStartMs when given (calendar windows)', () => {
    const clock = fakeClock(1_000_400);
    const store = storeAt(clock);
    const anchored = { ...request, windowStartMs: 1_000_300 };
    expect(store.hit(anchored).resetMs).toBe(900);
    clock.advance(899);
    expect(store.hit(anchored).count).toBe(2);
    clock.advance(1);
    expect(store.hit(anchored).count).toBe(1);
  });

  it('honours the cost of a hit', () => {
    const store = storeAt(fakeClock(0));
    expect(store.hit({ ...request, cost: 2 }).count).toBe(2);
    expect(store.hit({ ...request, cost: 2 }).count).toBe(4);
    expect(store.peek(request).count).toBe(2);
  });
});

describe('MemoryCounterStore sliding window', () => {
  const request: HitRequest = { key: 's', windowMs: 1000, algorithm: 'sliding', limit: 10 };

  it('weighs the previous window across the boundary instead of allowing a double burst', () => {
    const clock = fakeClock(0);
    const store = storeAt(clock);
    clock.advance(900);
    for (let i = 0; i < 10; i++) expect(store.hit(request).count).toBe(i + 1);
    expect(store.hit(request).count).toBe(11);

    // At the boundary the previous window still weighs fully: refused, retry in 100 ms.
    clock.advance(100);
    const atBoundary = store.hit(request);
    expect(atBoundary.count).toBe(11);
    expect(atBoundary.resetMs).toBe(100);

    // A fixed window would admit a fresh burst of 10 here.
    const fixed = storeAt(fakeClock(clock.now));
    expect(fixed.hit({ ...request, algorithm: 'fixed' }).count).toBe(1);

    // 10% into the window the previous count weighs 9: one more fits, then none.
    clock.advance(100);
    expect(store.hit(request).count).toBeCloseTo(10);
    expect(store.hit(request).count).toBeGreaterThan(10);
    // 30% in: previous weighs 7, current is 1 -> two more fit.
    clock.advance(200);
    expect(store.hit(request).count).toBeCloseTo(9);
    expect(store.hit(request).count).toBeCloseTo(10);
    expect(store.hit(request).count).toBeGreaterThan(10);
  });

  it('forgets the previous window once a whole window has passed', () => {
    const clock = fakeClock(0);
    const store = storeAt(clock);
    for (let i = 0; i < 10; i++) store.hit(request);
    clock.advance(2000);
    expect(store.peek(request).count).toBe(0);
  });
});

describe('MemoryCounterStore housekeeping', () => {
  it('sweeps expired windows and stays within maxEntries', () => {
    const clock = fakeClock(0);
    const store = storeAt(clock, 3);
    for (const key of ['a', 'b', 'c', 'd']) store.hit({ key, windowMs: 1000, algorithm: 'fixed', limit: 5 });
    expect(store.size).toBe(3);
    // The oldest window was dropped to make room.
    expect(store.peek({ key: 'a', windowMs: 1000, algorithm: 'fixed', limit: 5 }).count).toBe(0);
    clock.advance(2000);
    store.sweep();
    expect(store.size).toBe(0);
  });

  it('add() accumulates per window and returns the total', async () => {
    const clock = fakeClock(5000);
    const store = storeAt(clock);
    expect(await store.add('x', 1000, 3)).toBe(3);
    expect(await store.add('x', 1000, 0)).toBe(3);
    expect(await store.add('x', 1000, 4)).toBe(7);
    clock.advance(1000);
    expect(await store.add('x', 1000, 1)).toBe(1);
  });
});
