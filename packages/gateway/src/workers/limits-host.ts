/**
 * The primary's side of the node's shared limits: one MemoryCounterStore and one LocalNodeLimits for
 * every worker, so a limit of 10 admits 10 for the node, whichever worker a connection landed on.
 * Slots are remembered per worker: a worker that dies gives its slots back at once.
 */
import {
  type CounterStore,
  LocalNodeLimits,
  MemoryCounterStore,
  SharedSlots,
  SharedTable,
  type SlotAcquisition,
  type SlotLimits,
} from '@gatehouse/policies';
import type { LimitAnswer, LimitOp, ToWorker } from './protocol.js';

interface HeldSlot {
  key: string;
  limits: SlotLimits;
}

/** One worker's connection to the host. */
export class WorkerLimits {
  private answers: Array<[number, LimitAnswer]> = [];
  private scheduled = false;
  /** Slots this worker holds, by `key` + limits, with their count. */
  private readonly held = new Map<string, { slot: HeldSlot; count: number }>();
  private readonly waiting = new Map<number, AbortController>();
  private gone = false;

  constructor(
    private readonly host: LimitsHost,
    private readonly post: (message: ToWorker) => void,
    /** The worker's owner id in the shared table's locks. */
    private readonly owner: number,
  ) {}

  handle(ops: LimitOp[]): void {
    for (const op of ops) this.one(op);
  }

  /** The worker exited: its slots and waiting acquires are given up. */
  release(): void {
    this.gone = true;
    // A thread stopped mid-hit (terminate, crash) leaves its slot locked: free it for the others.
    const freed = this.host.table?.releaseOwner(this.owner) ?? 0;
    if (freed > 0) this.host.onFreedLocks?.(freed);
    // Then the concurrency slots it held in the table (its holdings are read under the slots' locks).
    const slots = this.host.slots?.freeOwner(this.owner) ?? 0;
    if (slots > 0) this.host.onFreedSlots?.(slots);
    for (const controller of this.waiting.values()) controller.abort();
    this.waiting.clear();
    for (const { slot, count } of this.held.values())
      for (let i = 0; i < count; i++) this.releaseHere(slot.key, slot.limits);
    this.held.clear();
  }

  private one(op: LimitOp): void {
    const counters = this.host.counters;
    switch (op.op) {
      case 'hit':
        this.settle(op.id, counters.hit(op.request));
        break;
      case 'peek':
        this.settle(op.id, counters.peek(op.request));
        break;
      case 'add':
        this.settle(op.id, counters.add(op.key, op.windowMs, op.delta, op.windowStartMs));
        break;
      case 'cell':
        this.reply(op.id, this.host.limits.takeCell(op.key, op.intervalMs, op.burst));
        break;
      case 'acquire':
        this.acquire(op.id, op.key, op.limits);
        break;
      case 'abort':
        this.waiting.get(op.ref)?.abort();
        break;
      case 'release':
        this.releaseOne(op.key, op.limits);
        break;
    }
  }

  private acquire(id: number, key: string, limits: SlotLimits): void {
    if (this.gone) return;
    const slots = this.host.slots;
    if (slots) {
      this.acquireEligible(slots, id, key, limits);
      return;
    }
    this.acquireHere(id, key, limits);
  }

  /**
   * A pool the worker could not count in the shared table. The table first, unless this primary already
   * counts the key (a key lives in one place); the header says "the primary holds slots" before the
   * table is tried, so a worker does not start the key in the table meanwhile.
   */
  private acquireEligible(slots: SharedSlots, id: number, key: string, limits: SlotLimits): void {
    slots.primaryHeld(1);
    if (this.host.limits.inFlight(key, limits) === 0) {
      const outcome = slots.take(key, limits.limit, limits.queueSize, this.owner, true);
      if (outcome !== undefined) {
        slots.primaryHeld(-1);
        // 'busy': the key is in the table with a line now; the worker waits there itself.
        this.reply(id, outcome === 'busy' ? 'table' : (outcome as SlotAcquisition));
        return;
      }
    }
    this.acquireHere(id, key, limits);
  }

  /** The primary's own pools (the header's count, with a table, goes down again unless a slot was taken). */
  private acquireHere(id: number, key: string, limits: SlotLimits): void {
    const controller = new AbortController();
    const outcome = this.host.limits.acquireSlot(key, limits, controller.signal);
    if (typeof outcome === 'string') {
      this.acquired(id, key, limits, outcome);
      return;
    }
    this.waiting.set(id, controller);
    void outcome.then((result) => {
      this.waiting.delete(id);
      this.acquired(id, key, limits, result);
    });
  }

  /** Gives back a slot of the primary's own pools (and its count in the header). */
  private releaseHere(key: string, limits: SlotLimits): void {
    this.host.limits.releaseSlot(key, limits);
    this.host.slots?.primaryHeld(-1);
  }

  private acquired(id: number, key: string, limits: SlotLimits, outcome: SlotAcquisition): void {
    if (outcome !== 'acquired') this.host.slots?.primaryHeld(-1);
    else {
      if (this.gone) {
        this.releaseHere(key, limits);
        return;
      }
      const id2 = heldId(key, limits);
      const entry = this.held.get(id2);
      if (entry) entry.count++;
      else this.held.set(id2, { slot: { key, limits }, count: 1 });
    }
    this.reply(id, outcome);
  }

  private releaseOne(key: string, limits: SlotLimits): void {
    const id = heldId(key, limits);
    const entry = this.held.get(id);
    if (!entry) {
      // Granted in the table for this worker (the primary acquired it there): give it back there. Anything
      // else was never granted to this worker: a stale or forged release changes nothing.
      this.host.slots?.release(key, limits.limit, this.owner, limits.queueSize);
      return;
    }
    if (--entry.count === 0) this.held.delete(id);
    this.releaseHere(key, limits);
  }

  private settle(id: number, result: LimitAnswer | Promise<LimitAnswer>): void {
    if (!(result instanceof Promise)) {
      this.reply(id, result);
      return;
    }
    result.then(
      (value) => this.reply(id, value),
      (error: unknown) => this.reply(id, { error: (error as Error).message }),
    );
  }

  private reply(id: number, answer: LimitAnswer): void {
    if (this.gone) return;
    this.answers.push([id, answer]);
    if (this.scheduled) return;
    this.scheduled = true;
    // Answers of one batch leave together, like the questions came.
    queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const answers = this.answers;
    this.answers = [];
    if (answers.length > 0 && !this.gone) this.post({ t: 'answers', answers });
  };
}

export class LimitsHost {
  /** What workers cannot count in the shared table (or everything, without one). */
  readonly counters: CounterStore & { close(): Promise<void> } = new MemoryCounterStore();
  readonly limits = new LocalNodeLimits();
  /**
   * Counters and spike-arrest cells every worker updates itself (no message): created once by the
   * primary and kept across reloads and worker replacements, so counts that still apply carry on.
   */
  readonly table: SharedTable | undefined;
  /** Concurrency slots and their lines, in the same table, with each worker's words beside it. */
  readonly slots: SharedSlots | undefined;
  onFreedLocks?: (count: number) => void;
  onFreedSlots?: (count: number) => void;

  /** `owners`: how many workers (owner ids 1..owners) the holdings have room for. */
  constructor(options: { sharedCounters?: boolean; capacity?: number; owners?: number } = {}) {
    this.table = options.sharedCounters ? new SharedTable({ capacity: options.capacity }) : undefined;
    this.slots = this.table ? new SharedSlots(this.table, { owners: options.owners ?? 1 }) : undefined;
  }

  /** `owner`: the worker's id in the table's locks (index + 1; never reused while the worker lives). */
  connect(post: (message: ToWorker) => void, owner: number): WorkerLimits {
    return new WorkerLimits(this, post, owner);
  }

  async close(): Promise<void> {
    this.limits.close();
    await this.counters.close();
  }
}

function heldId(key: string, limits: SlotLimits): string {
  return `${limits.limit}:${limits.queueSize}:${limits.queueTimeoutMs}:${key}`;
}
