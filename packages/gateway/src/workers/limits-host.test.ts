/**
 * The primary's side of queue-less concurrency slots when the shared table has no room: the primary
 * counts the key in its own pool, workers then ask it rather than start the key in the table (a key is
 * counted in one place only), and a worker that exits gives back what it held in both places.
 */
import { type CounterStore, SharedCounterStore, SharedSlots, SharedTable, type SlotLimits } from '@gatehouse/policies';
import { afterEach, describe, expect, it } from 'vitest';
import { LimitsHost } from './limits-host.js';
import type { LimitAnswer, ToWorker } from './protocol.js';

const queueless: SlotLimits = { limit: 2, queueSize: 0, queueTimeoutMs: 5000 };
const hosts: LimitsHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

function setUp() {
  const host = new LimitsHost({ sharedCounters: true, capacity: 64, owners: 2 });
  hosts.push(host);
  const table = host.table!;
  const primarySlots = host.slots!;
  // Sixty-four live counters fill the table.
  const counters = new SharedCounterStore(table, undefined as unknown as CounterStore);
  for (let i = 0; i < 64; i++) counters.hit({ key: `rl:${i}`, windowMs: 60_000, algorithm: 'fixed', limit: 9 });
  expect(table.placed).toBe(64);
  /** A worker: its connection to the host, and its own view of the table's slots. */
  const worker = (owner: number) => {
    const answers: LimitAnswer[] = [];
    const limits = host.connect((message: ToWorker) => {
      if (message.t === 'answers') answers.push(...message.answers.map(([, answer]) => answer));
    }, owner);
    const slots = new SharedSlots(new SharedTable({ buffer: table.buffer, owner }), {
      buffer: primarySlots.buffer,
      owner,
    });
    let id = 1;
    return {
      slots,
      limits,
      /** What SharedNodeLimits does: the table, else a message to the primary. */
      async acquire(key: string): Promise<LimitAnswer> {
        const here = slots.acquire(key, queueless.limit);
        if (here !== undefined) return here;
        limits.handle([{ id: id++, op: 'acquire', key, limits: queueless }]);
        await Promise.resolve();
        return answers.shift()!;
      },
      release(key: string): void {
        if (!slots.release(key, queueless.limit)) limits.handle([{ id: 0, op: 'release', key, limits: queueless }]);
      },
    };
  };
  /** Frees a counter's slot (as if its windows had passed). */
  const freeOneSlot = (key = 'rl:0') =>
    table.withSlot(key, Date.now(), false, (slot) => {
      slot.numbers[slot.at + 4] = 0;
    });
  return { host, table, primarySlots, worker, freeOneSlot };
}

describe('LimitsHost with queue-less slots the table cannot hold', () => {
  it('counts them in the primary, exactly, and keeps the key there while it is held', async () => {
    const { host, table, primarySlots, worker, freeOneSlot } = setUp();
    const a = worker(1);
    const b = worker(2);
    expect(await a.acquire('cc:k')).toBe('acquired');
    expect(primarySlots.heldByPrimary).toBe(1);
    expect(host.limits.inFlight('cc:k', queueless)).toBe(1);
    // Room appears, but the primary holds slots of its own: the key is not started in the table.
    freeOneSlot();
    expect(await b.acquire('cc:k')).toBe('acquired');
    expect(await b.acquire('cc:k')).toBe('full');
    expect(host.limits.inFlight('cc:k', queueless)).toBe(2);
    expect(primarySlots.inFlight('cc:k', 2)).toBe(0);
    // Each worker's release goes back to the primary; a second one from a (nothing left to give) changes nothing.
    a.release('cc:k');
    a.release('cc:k');
    expect(host.limits.inFlight('cc:k', queueless)).toBe(1);
    b.release('cc:k');
    expect(host.limits.inFlight('cc:k', queueless)).toBe(0);
    expect(primarySlots.heldByPrimary).toBe(0);
    // Nothing held by the primary any more: the key starts in the table.
    expect(await a.acquire('cc:k')).toBe('acquired');
    expect(primarySlots.inFlight('cc:k', 2)).toBe(1);
    expect(table.refused).toBeGreaterThan(0);
  });

  it('uses the table for a worker when the key is there (it was placed meanwhile)', async () => {
    const { host, primarySlots, worker, freeOneSlot } = setUp();
    const a = worker(1);
    const b = worker(2);
    freeOneSlot();
    expect(a.slots.acquire('cc:t', 2)).toBe('acquired');
    // b's message reaches the primary (say b found the table full a moment earlier): counted in the table, for b.
    b.limits.handle([{ id: 7, op: 'acquire', key: 'cc:t', limits: queueless }]);
    expect(primarySlots.inFlight('cc:t', 2)).toBe(2);
    expect(primarySlots.heldBy(2)).toBe(1);
    expect(host.limits.inFlight('cc:t', queueless)).toBe(0);
    expect(primarySlots.heldByPrimary).toBe(0);
    // b gives it back itself, in the table; a message release (a grant that came as the client left) works too.
    b.release('cc:t');
    b.limits.handle([{ id: 8, op: 'acquire', key: 'cc:t', limits: queueless }]);
    b.limits.handle([{ id: 0, op: 'release', key: 'cc:t', limits: queueless }]);
    expect(primarySlots.heldBy(2)).toBe(0);
    expect(primarySlots.inFlight('cc:t', 2)).toBe(1);
  });

  it("a worker's exit gives back what it held in the table and in the primary's pools", async () => {
    const { host, primarySlots, worker, freeOneSlot } = setUp();
    const a = worker(1);
    expect(await a.acquire('cc:primary')).toBe('acquired');
    freeOneSlot();
    // A key new to the table goes by the primary (it holds slots), which counts it in the table, for a.
    expect(await a.acquire('cc:other')).toBe('acquired');
    expect(primarySlots.heldByPrimary).toBe(1);
    expect(primarySlots.heldBy(1)).toBe(1);
    a.limits.release();
    expect(primarySlots.heldByPrimary).toBe(0);
    expect(primarySlots.heldBy(1)).toBe(0);
    expect(host.limits.inFlight('cc:primary', queueless)).toBe(0);
    expect(primarySlots.inFlight('cc:other', 2)).toBe(0);
    const b = worker(2);
    freeOneSlot('rl:1');
    expect(await b.acquire('cc:table')).toBe('acquired');
    expect(primarySlots.heldBy(2)).toBe(1);
    b.limits.release();
    expect(primarySlots.heldBy(2)).toBe(0);
    expect(primarySlots.inFlight('cc:table', 2)).toBe(0);
  });
});
