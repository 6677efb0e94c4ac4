import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeadlineQueue } from './deadline-queue.js';

function expirable() {
  return {
    timedOut: 0,
    timeOut() {
      this.timedOut++;
    },
  };
}

describe('DeadlineQueue', () => {
  let now = 0;
  const clock = () => now;
  afterEach(() => {
    vi.useRealTimers();
    now = 0;
  });

  it('times out entries once their duration passed, in order, and not before', () => {
    vi.useFakeTimers();
    const queue = new DeadlineQueue(100, clock);
    const a = expirable();
    const b = expirable();
    queue.add(a);
    now = 40;
    queue.add(b);
    now = 99;
    vi.advanceTimersByTime(99);
    expect(a.timedOut).toBe(0);
    now = 100;
    vi.advanceTimersByTime(1);
    expect([a.timedOut, b.timedOut]).toEqual([1, 0]);
    now = 140;
    vi.advanceTimersByTime(40);
    expect([a.timedOut, b.timedOut]).toEqual([1, 1]);
    expect(queue.size).toBe(0);
  });

  it('never times out a cancelled entry and does not keep it referenced', () => {
    vi.useFakeTimers();
    const queue = new DeadlineQueue(50, clock);
    const done = expirable();
    const slow = expirable();
    const slot = queue.add(done);
    queue.add(slow);
    queue.cancel(slot);
    expect(queue.size).toBe(1);
    now = 60;
    vi.advanceTimersByTime(60);
    expect([done.timedOut, slow.timedOut]).toEqual([0, 1]);
  });

  it('keeps slots valid across compaction with out-of-order cancels', () => {
    vi.useFakeTimers();
    const queue = new DeadlineQueue(1000, clock);
    const entries = Array.from({ length: 5000 }, () => expirable());
    const slots = entries.map((e) => queue.add(e));
    // Finish all but every 100th, in an order that is not quite FIFO.
    for (let i = 0; i < slots.length; i += 2) if (i % 100 !== 0) queue.cancel(slots[i]!);
    for (let i = 1; i < slots.length; i += 2) if (i % 100 !== 1) queue.cancel(slots[i]!);
    expect(queue.size).toBe(100);
    const late = expirable();
    queue.add(late);
    now = 1000;
    vi.advanceTimersByTime(1000);
    const timedOut = entries.filter((e) => e.timedOut === 1).length;
    expect(timedOut).toBe(100);
    expect(late.timedOut).toBe(1);
    expect(entries.every((e) => e.timedOut <= 1)).toBe(true);
  });

  it('re-arms after running empty', () => {
    vi.useFakeTimers();
    const queue = new DeadlineQueue(10, clock);
    queue.cancel(queue.add(expirable()));
    now = 500;
    vi.advanceTimersByTime(500);
    const later = expirable();
    queue.add(later);
    now = 510;
    vi.advanceTimersByTime(10);
    expect(later.timedOut).toBe(1);
  });
});
