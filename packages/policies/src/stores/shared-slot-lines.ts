/**
 * One worker's waiters for slots of shared-memory pools (SharedSlots): per table slot, a line of
 * waiters in ticket order, a timer each (queue timeout) and the client's abort signal. The worker
 * sleeps on its own grants word of that slot with Atomics.waitAsync (one pending wait per slot with
 * waiters, not per waiter), so a release wakes exactly the worker it handed the slot to.
 */
import type { SlotAcquisition } from '../sdk/node-limits.js';
import type { LocalLine, SharedSlots, SlotTicket } from './shared-slots.js';

interface Waiter {
  ticket: number;
  resolve: (outcome: SlotAcquisition) => void;
  done: boolean;
}

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeout?: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Longest a pending wait lasts before it is renewed (or dropped with an empty line). */
const REARM_MS = 1_000;

class Line implements LocalLine {
  readonly waiters: Waiter[] = [];
  /** A wait on the grants word is pending. */
  armed = false;

  get size(): number {
    return this.waiters.length;
  }

  head(): number | undefined {
    return this.waiters[0]?.ticket;
  }

  grantHead(): void {
    const waiter = this.waiters.shift();
    if (!waiter) return;
    waiter.done = true;
    waiter.resolve('acquired');
  }
}

export class SlotLines {
  private readonly lines = new Map<number, Line>();

  constructor(private readonly slots: SharedSlots) {}

  /** Waits in line with `ticket` (from SharedSlots.take) until a slot is handed over, the timeout, or the abort. */
  wait(ticket: SlotTicket, timeoutMs: number, signal?: AbortSignal): Promise<SlotAcquisition> {
    let line = this.lines.get(ticket.slot);
    if (!line) {
      line = new Line();
      this.lines.set(ticket.slot, line);
    }
    const current = line;
    return new Promise<SlotAcquisition>((resolve) => {
      const waiter: Waiter = {
        ticket: ticket.ticket,
        done: false,
        resolve: (outcome) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      };
      const leave = (outcome: SlotAcquisition) => {
        if (waiter.done) return;
        // Under the slot lock: grants already handed to this worker are settled first (this waiter may
        // be the one served), then the waiter leaves and the line is published without it.
        this.slots.settle(ticket.slot, current, () => {
          if (waiter.done) return;
          const index = current.waiters.indexOf(waiter);
          if (index >= 0) current.waiters.splice(index, 1);
          waiter.done = true;
          waiter.resolve(outcome);
        });
        this.rearm(ticket.slot, current);
      };
      const onAbort = () => leave('aborted');
      const timer = setTimeout(() => leave('timeout'), timeoutMs);
      // Tickets of one worker are taken in order, so pushing keeps the line sorted.
      current.waiters.push(waiter);
      if (signal?.aborted) leave('aborted');
      else signal?.addEventListener('abort', onAbort, { once: true });
      this.rearm(ticket.slot, current);
    });
  }

  /** Waiters of this worker, all pools together (status and tests). */
  get waiting(): number {
    let n = 0;
    for (const line of this.lines.values()) n += line.size;
    return n;
  }

  /** Settles grants this worker handed itself (a release on this thread served one of its own waiters). */
  settleNow(slot: number): void {
    // No line here (never expected): an empty one passes the grant on or frees the slot.
    const line = this.lines.get(slot) ?? new Line();
    this.slots.settle(slot, line);
    this.rearm(slot, line);
  }

  /** Keeps one wait pending on the grants word while the line has waiters (and settles grants found there). */
  private rearm(slot: number, line: Line): void {
    if (line.armed) return;
    if (line.size === 0) {
      this.lines.delete(slot);
      return;
    }
    // Bounded, so a wait left over after the line emptied ends (and the line is dropped) within a second.
    const result = waitAsync(this.slots.words, this.slots.grantsWord(slot), 0, REARM_MS);
    line.armed = true;
    const woken = () => {
      line.armed = false;
      // Nothing waits and nothing was handed over: drop the line without touching the slot (an idle
      // pool's table slot may already belong to another key, a counter's, whose numbers are not ours).
      if (line.size === 0 && Atomics.load(this.slots.words, this.slots.grantsWord(slot)) === 0) {
        if (this.lines.get(slot) === line) this.lines.delete(slot);
        return;
      }
      this.slots.settle(slot, line);
      this.rearm(slot, line);
    };
    if (result.async) void result.value.then(woken);
    else queueMicrotask(woken);
  }
}
