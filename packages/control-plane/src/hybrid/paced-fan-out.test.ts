import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FanOutStream, PacedFanOut } from './paced-fan-out.js';

/** Streams that record what they were told, in the order told. */
function streams(n: number) {
  const told: Array<[index: number, cursor: string]> = [];
  const list: FanOutStream[] = Array.from({ length: n }, (_, i) => ({ send: (c: string) => told.push([i, c]) }));
  return { list, told };
}

describe('PacedFanOut', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('tells at most a window of streams, then one more per answered sync, until every stream is told', () => {
    const fanOut = new PacedFanOut({ window: 4, waveMs: 20 });
    const { list, told } = streams(10);
    for (const s of list) fanOut.notify(s, 'c:7');
    expect(told.map(([i]) => i)).toEqual([0, 1, 2, 3]);
    expect(fanOut.pending).toBe(6);
    // The told gateways sync: each answer lets the next stream be told, in order.
    for (let i = 0; i < 4; i++) fanOut.arrived();
    fanOut.answered();
    expect(told.map(([i]) => i)).toEqual([0, 1, 2, 3, 4]);
    for (let i = 0; i < 3; i++) fanOut.answered();
    expect(told).toHaveLength(8);
    for (let i = 0; i < 4; i++) fanOut.arrived();
    for (let i = 0; i < 4; i++) fanOut.answered();
    expect(told.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(told.every(([, c]) => c === 'c:7')).toBe(true);
    expect(fanOut.pending).toBe(0);
  });

  it('opens the next wave when the told syncs have not reached this replica (far, silent or on another replica)', () => {
    const fanOut = new PacedFanOut({ window: 3, waveMs: 20 });
    const { list, told } = streams(7);
    for (const s of list) fanOut.notify(s, 'c:2');
    expect(told).toHaveLength(3);
    vi.advanceTimersByTime(20);
    expect(told).toHaveLength(6);
    vi.advanceTimersByTime(20);
    expect(told).toHaveLength(7);
    // Nothing left: once the last wave stops counting, no timer stays behind.
    vi.advanceTimersByTime(20);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('holds the next wave while syncs are still in progress here', () => {
    const fanOut = new PacedFanOut({ window: 3, waveMs: 20 });
    const { list, told } = streams(6);
    for (const s of list) fanOut.notify(s, 'c:2');
    for (let i = 0; i < 3; i++) fanOut.arrived();
    vi.advanceTimersByTime(100);
    expect(told).toHaveLength(3);
    fanOut.answered();
    expect(told).toHaveLength(4);
  });

  it('tells no stream while a window of syncs (polls) is in progress here', () => {
    const fanOut = new PacedFanOut({ window: 3, waveMs: 20 });
    for (let i = 0; i < 5; i++) fanOut.arrived();
    const { list, told } = streams(4);
    for (const s of list) fanOut.notify(s, 'c:9');
    vi.advanceTimersByTime(100);
    expect(told).toHaveLength(0);
    fanOut.answered();
    fanOut.answered();
    expect(told).toHaveLength(0);
    // Below the window in progress: a window of streams is told.
    fanOut.answered();
    expect(told).toHaveLength(3);
    fanOut.answered();
    expect(told).toHaveLength(4);
  });

  it('gives a waiting stream the newest cursor in its place, and tells a told stream again', () => {
    const fanOut = new PacedFanOut({ window: 1, waveMs: 20 });
    const { list, told } = streams(3);
    for (const s of list) fanOut.notify(s, 'c:1');
    for (const s of list) fanOut.notify(s, 'c:2');
    fanOut.answered();
    fanOut.answered();
    fanOut.answered();
    expect(told).toEqual([
      [0, 'c:1'],
      [1, 'c:2'],
      [2, 'c:2'],
      [0, 'c:2'],
    ]);
  });

  it('forgets a closed stream', () => {
    const fanOut = new PacedFanOut({ window: 1, waveMs: 20 });
    const { list, told } = streams(3);
    for (const s of list) fanOut.notify(s, 'c:1');
    fanOut.forget(list[1]!);
    fanOut.answered();
    expect(told.map(([i]) => i)).toEqual([0, 2]);
  });

  it('starts a new fan-out with a full window even if earlier told gateways never synced here', () => {
    const fanOut = new PacedFanOut({ window: 2, waveMs: 20 });
    const first = streams(2);
    for (const s of first.list) fanOut.notify(s, 'c:1');
    expect(fanOut.inFlight).toBe(2);
    vi.advanceTimersByTime(20);
    expect(fanOut.inFlight).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    const second = streams(2);
    for (const s of second.list) fanOut.notify(s, 'c:2');
    expect(second.told).toHaveLength(2);
  });

  it('answers a poll when no fan-out runs without going negative', () => {
    const fanOut = new PacedFanOut({ window: 2, waveMs: 20 });
    fanOut.arrived();
    fanOut.answered();
    fanOut.answered();
    const { list, told } = streams(3);
    for (const s of list) fanOut.notify(s, 'c:1');
    expect(told).toHaveLength(2);
  });

  it('refuses a window below one', () => {
    expect(() => new PacedFanOut({ window: 0, waveMs: 20 })).toThrow();
  });
});
