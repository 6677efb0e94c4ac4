/**
 * Counters and spike-arrest cells of one gateway node in shared memory (a SharedTable the primary
 * creates and every worker attaches to): a hit is a few Atomics operations in the worker that serves
 * the request, with no message to the primary, and exact for the node because the read-decide-write of
 * one key happens under its slot's lock. The window arithmetic is window.ts's, as in MemoryCounterStore.
 *
 * What the table cannot hold (a key longer than a slot, or no free or expired slot along the key's
 * probe sequence) goes to `fallback`, the primary's store over messages: still exact, just slower.
 */
import type { CounterStore, HitRequest, HitResult } from '../sdk/counters/types.js';
import type { CellAdmission, NodeLimits, SlotAcquisition, SlotLimits } from '../sdk/node-limits.js';
import { SlotLines } from './shared-slot-lines.js';
import { NOT_HELD, type SharedSlots } from './shared-slots.js';
import { EXPIRY, type SharedTable, type SlotView } from './shared-table.js';
import { slidingEstimate, toHitResult, type WindowCounts, windowStart } from './window.js';

/** A slot's numbers for a counter: two windows (start, count) and the slot's expiry. */
const START_A = 0;
const COUNT_A = 1;
const START_B = 2;
const COUNT_B = 3;

/** Count of the window starting at `start` in this slot (0 when the slot does not hold that window). */
function countOf(slot: SlotView, start: number): number {
  const n = slot.numbers;
  if (n[slot.at + START_A] === start) return n[slot.at + COUNT_A]!;
  if (n[slot.at + START_B] === start) return n[slot.at + COUNT_B]!;
  return 0;
}

/** Sets the window `start` to `count`, replacing the window that is neither it nor `keep` (the previous one). */
function setCount(slot: SlotView, start: number, keep: number, count: number, expiresAt: number): void {
  const n = slot.numbers;
  const a = slot.at;
  if (n[a + START_A] === start) n[a + COUNT_A] = count;
  else if (n[a + START_B] === start) n[a + COUNT_B] = count;
  else if (n[a + START_A] !== keep) {
    n[a + START_A] = start;
    n[a + COUNT_A] = count;
  } else {
    n[a + START_B] = start;
    n[a + COUNT_B] = count;
  }
  // NaN (a fresh slot) compares false: the first write sets it.
  if (!(n[a + EXPIRY]! >= expiresAt)) n[a + EXPIRY] = expiresAt;
}

export class SharedCounterStore implements CounterStore {
  readonly kind = 'memory' as const;

  constructor(
    private readonly table: SharedTable,
    private readonly fallback: CounterStore,
    private readonly now: () => number = Date.now,
  ) {}

  hit(request: HitRequest): HitResult | Promise<HitResult> {
    const now = this.now();
    const result = this.table.withSlot(request.key, now, true, (slot) => hitSlot(slot, request, now));
    return result ?? this.fallback.hit(request);
  }

  peek(request: HitRequest): HitResult | Promise<HitResult> {
    const now = this.now();
    const start = windowStart(now, request.windowMs, request.windowStartMs);
    const counts = this.table.withSlot(request.key, now, false, (slot) => windowCounts(slot, request, start, now));
    // Absent here: the key may be counted by the fallback (the table was full when it came).
    if (counts === undefined) return this.fallback.peek(request);
    return toHitResult(request.algorithm, counts, request, 'peek', false);
  }

  add(key: string, windowMs: number, delta: number, windowStartMs?: number): Promise<number> {
    const now = this.now();
    const start = windowStart(now, windowMs, windowStartMs);
    const total = this.table.withSlot(key, now, true, (slot) => {
      const next = countOf(slot, start) + delta;
      setCount(slot, start, start - windowMs, next, start + 2 * windowMs);
      return next;
    });
    return total === undefined ? this.fallback.add(key, windowMs, delta, windowStartMs) : Promise.resolve(total);
  }

  /** The table belongs to the node (the primary): a worker's store leaves it as it is. */
  async close(): Promise<void> {}
}

function windowCounts(slot: SlotView, request: HitRequest, start: number, now: number): WindowCounts {
  return {
    current: countOf(slot, start),
    previous: request.algorithm === 'sliding' ? countOf(slot, start - request.windowMs) : 0,
    elapsed: now - start,
  };
}

function hitSlot(slot: SlotView, request: HitRequest, now: number): HitResult {
  const cost = request.cost ?? 1;
  const start = windowStart(now, request.windowMs, request.windowStartMs);
  const counts = windowCounts(slot, request, start, now);
  const estimate =
    request.algorithm === 'sliding'
      ? slidingEstimate(counts.previous, counts.current, counts.elapsed, request.windowMs)
      : counts.current;
  if (estimate + cost > request.limit) return toHitResult(request.algorithm, counts, request, 'refused', false);
  counts.current += cost;
  setCount(slot, start, start - request.windowMs, counts.current, start + 2 * request.windowMs);
  return toHitResult(request.algorithm, counts, request, 'admitted', false);
}

/**
 * What a SharedNodeLimits asks when the table cannot count a key: the primary's pools (by message in a
 * worker). `'table'`: the primary found the key in the table meanwhile; try the table again.
 */
export interface FallbackLimits extends NodeLimits {
  acquireSlotOrTable?(
    key: string,
    limits: SlotLimits,
    signal?: AbortSignal,
  ): SlotAcquisition | 'table' | Promise<SlotAcquisition | 'table'>;
}

/** Rounds of "the primary says: the table" before giving up (a key that keeps moving: never seen). */
const TABLE_ROUNDS = 4;

/**
 * Spike-arrest cells in the shared table (GCRA: one theoretical arrival time per key, as GcraLimiter),
 * concurrency slots in `slots` (the same table), waiting in line in this worker's `lines`; whatever
 * the table cannot hold through `fallback`.
 */
export class SharedNodeLimits implements NodeLimits {
  private readonly lines: SlotLines | undefined;

  constructor(
    private readonly table: SharedTable,
    private readonly fallback: FallbackLimits,
    private readonly now: () => number = Date.now,
    private readonly slots?: SharedSlots,
  ) {
    this.lines = slots ? new SlotLines(slots) : undefined;
  }

  takeCell(key: string, intervalMs: number, burst: number): CellAdmission | Promise<CellAdmission> {
    const now = this.now();
    // Parameters in the key: a reload that changes the rate starts a fresh bucket (as LocalNodeLimits does).
    const admission = this.table.withSlot(`\u0001cell:${intervalMs}:${burst}:${key}`, now, true, (slot) => {
      const n = slot.numbers;
      const stored = n[slot.at]!;
      const theoretical = stored > now ? stored : now; // NaN (fresh slot) reads as now
      const allowAt = theoretical - (burst - 1) * intervalMs;
      if (now < allowAt) return { allowed: false, retryAfterMs: allowAt - now };
      n[slot.at] = theoretical + intervalMs;
      // A drained bucket behaves like an unseen key: its slot may go to another key.
      n[slot.at + EXPIRY] = theoretical + intervalMs;
      return { allowed: true, retryAfterMs: 0 };
    });
    return admission ?? this.fallback.takeCell(key, intervalMs, burst);
  }

  acquireSlot(key: string, limits: SlotLimits, signal?: AbortSignal): SlotAcquisition | Promise<SlotAcquisition> {
    if (signal?.aborted) return 'aborted';
    const here = this.inTable(key, limits, signal);
    if (here !== undefined) return here;
    return this.viaFallback(key, limits, signal);
  }

  releaseSlot(key: string, limits: SlotLimits): void {
    // Not held in the table by this worker: it was granted by the primary, which gives it back.
    if (this.slots) {
      const outcome = this.slots.releaseTo(key, limits.limit, limits.queueSize);
      // Handed to a waiter of this worker: served now, without waking this thread's own wait.
      if (outcome >= 0) this.lines?.settleNow(outcome);
      if (outcome !== NOT_HELD) return;
    }
    this.fallback.releaseSlot(key, limits);
  }

  /** Waiters of this worker in shared-memory lines (status and tests). */
  get waiting(): number {
    return this.lines?.waiting ?? 0;
  }

  private inTable(
    key: string,
    limits: SlotLimits,
    signal?: AbortSignal,
  ): SlotAcquisition | Promise<SlotAcquisition> | undefined {
    if (!this.slots || !this.lines) return undefined;
    const outcome = this.slots.take(key, limits.limit, limits.queueSize);
    if (outcome === undefined || outcome === 'busy') return undefined;
    if (typeof outcome === 'string') return outcome;
    return this.lines.wait(outcome, limits.queueTimeoutMs, signal).then((result) => {
      // Served just as the client went away: nobody will release it, so give it back now.
      if (result === 'acquired' && signal?.aborted) {
        this.releaseSlot(key, limits);
        return 'aborted';
      }
      return result;
    });
  }

  private viaFallback(
    key: string,
    limits: SlotLimits,
    signal?: AbortSignal,
  ): SlotAcquisition | Promise<SlotAcquisition> {
    const first = this.askFallback(key, limits, signal);
    // An answer at once (the primary's pools in this thread: tests) stays synchronous.
    if (typeof first === 'string' && first !== 'table') return first;
    return this.moreRounds(first, key, limits, signal);
  }

  private async moreRounds(
    first: SlotAcquisition | 'table' | Promise<SlotAcquisition | 'table'>,
    key: string,
    limits: SlotLimits,
    signal?: AbortSignal,
  ): Promise<SlotAcquisition> {
    let outcome = await first;
    for (let round = 1; outcome === 'table'; round++) {
      if (signal?.aborted) return 'aborted';
      const here = this.inTable(key, limits, signal);
      if (here !== undefined) return here;
      // A key that keeps moving between the table and the primary: not seen; refuse rather than loop.
      if (round === TABLE_ROUNDS) return 'full';
      outcome = await this.askFallback(key, limits, signal);
    }
    return outcome;
  }

  private askFallback(
    key: string,
    limits: SlotLimits,
    signal?: AbortSignal,
  ): SlotAcquisition | 'table' | Promise<SlotAcquisition | 'table'> {
    return this.fallback.acquireSlotOrTable
      ? this.fallback.acquireSlotOrTable(key, limits, signal)
      : this.fallback.acquireSlot(key, limits, signal);
  }
}
