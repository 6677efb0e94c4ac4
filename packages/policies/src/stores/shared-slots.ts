/**
 * Concurrency slots of one gateway node in shared memory, with or without a waiting line. A pool is one
 * SharedTable slot; beside the table, four Int32 words per (worker, table slot) say what that worker
 * has there: slots it holds, slots handed to it for its waiters and not yet taken ("grants", also the
 * word its waiters sleep on), waiters in its line, and the ticket of its oldest waiter. The pool's
 * count in flight is the sum of holdings and grants over the workers: there is no separate count, so
 * taking a slot is one write to the worker's own word, and a worker that dies mid-operation leaves
 * nothing the primary cannot undo by zeroing that worker's words (`freeOwner`).
 *
 * Waiting: a request that finds the pool full (or others already waiting: no barging) takes the next
 * ticket of the pool and waits in its own worker's line (SlotLines). A release hands the slot to the
 * worker holding the oldest ticket (a grant) and wakes that worker alone (Atomics.notify on its word);
 * that worker, under the slot lock, gives the grant to its oldest waiter if it is still the node's
 * oldest, else passes it on. So the node serves its waiters first in, first out.
 *
 * What the table cannot hold goes to the primary's pools by message (the caller's fallback). A key
 * must never be counted in both places: the header counts what the primary holds in its own pools, and
 * while it is not zero a worker does not start a key new to the table but asks the primary, which uses
 * the table itself when the key is there or now fits. Design: docs/decisions/0012.
 */
import { EXPIRY, type SharedTable, type SlotView } from './shared-table.js';

/** The slot's numbers: the pool's next ticket (NaN: a key new to the table) and its limit. */
const NEXT_TICKET = 0;
const LIMIT = 1;
/** An idle pool keeps its slot this long: a key that comes back finds it without the insert lock. */
const IDLE_KEEP_MS = 5_000;
/** Int32 words before the per-worker words: [0] what the primary holds in its own pools for table-eligible keys. */
const HEADER_WORDS = 16;
const H_PRIMARY_HELD = 0;
/** [1] wake-ups sent to another thread's line (a slot handed over across threads): status and benchmarks. */
const H_WAKES = 1;
/** Words per (worker, table slot). */
const WORDS = 4;
const HELD = 0;
const GRANTS = 1;
const WAITING = 2;
const HEAD = 3;

/** `releaseTo`: this worker held no slot of the pool. */
export const NOT_HELD = -2;
/** `releaseTo`: released (the slot is free, or another worker's waiter has it). */
export const HANDED = -1;

/** A request that must wait: its pool's table slot and its place in the node's line. */
export interface SlotTicket {
  slot: number;
  ticket: number;
}

/** What a worker's line of waiters for one table slot looks like to the pool (see SlotLines). */
export interface LocalLine {
  /** The ticket of the oldest waiter still waiting here, or undefined. */
  head(): number | undefined;
  readonly size: number;
  /** Gives the slot to the oldest waiter (it now holds it) and removes it from the line. */
  grantHead(): void;
}

export interface SharedSlotsOptions {
  /** Workers of the node (owner ids 1..owners); sizes the words. Ignored with `buffer`. */
  owners?: number;
  /** An existing buffer (a worker attaches to the primary's). */
  buffer?: SharedArrayBuffer;
  /** The owner id of this thread (its worker index + 1); the primary names the owner per call. */
  owner?: number;
  now?: () => number;
}

export class SharedSlots {
  readonly buffer: SharedArrayBuffer;
  readonly owners: number;
  /** Exposed for SlotLines: a worker's waiters sleep on its grants word. */
  readonly words: Int32Array;
  readonly owner: number;
  private readonly now: () => number;
  /** Workers to wake once the slot lock is released. */
  private readonly wake: number[] = [];

  constructor(
    private readonly table: SharedTable,
    options: SharedSlotsOptions = {},
  ) {
    this.buffer =
      options.buffer ?? new SharedArrayBuffer((HEADER_WORDS + (options.owners ?? 1) * table.capacity * WORDS) * 4);
    this.words = new Int32Array(this.buffer);
    this.owners = (this.words.length - HEADER_WORDS) / (table.capacity * WORDS);
    if (!Number.isInteger(this.owners) || this.owners < 1)
      throw new Error('shared slots: buffer does not fit the table');
    this.owner = options.owner ?? 1;
    this.now = options.now ?? Date.now;
  }

  /** Queue-less acquire: 'acquired', 'full', or undefined (the primary decides; see `take`). */
  acquire(key: string, limit: number, owner = this.owner, byPrimary = false): 'acquired' | 'full' | undefined {
    return this.take(key, limit, 0, owner, byPrimary) as 'acquired' | 'full' | undefined;
  }

  /**
   * Takes a slot of the pool `key` (limit, queueSize) for `owner`: 'acquired'; 'full' (no slot and the
   * line is full); a ticket to wait with (SlotLines.wait); or undefined when the table cannot count the
   * key (no room, key too long, or new here while the primary holds slots of its own): the primary
   * decides. `byPrimary`: the primary acting for a worker; it cannot wait for it, so it gets 'busy'
   * where a worker would get a ticket (the worker then waits in the table itself).
   */
  take(
    key: string,
    limit: number,
    queueSize: number,
    owner = this.owner,
    byPrimary = false,
  ): 'acquired' | 'full' | 'busy' | SlotTicket | undefined {
    const mine = this.base(owner, 0);
    const outcome = this.table.withSlot(slotKey(key, limit, queueSize), this.now(), true, (slot) => {
      const n = slot.numbers;
      if (Number.isNaN(n[slot.at + NEXT_TICKET]!)) {
        // New to the table (numbers of a fresh slot are NaN): the primary may be counting it already.
        if (!byPrimary && Atomics.load(this.words, H_PRIMARY_HELD) > 0) return undefined;
        n[slot.at + NEXT_TICKET] = 0;
        n[slot.at + LIMIT] = limit;
      }
      n[slot.at + EXPIRY] = Number.POSITIVE_INFINITY;
      const waiting = this.ungranted(slot.slot);
      if (waiting === 0 && this.active(slot.slot) < limit) {
        // One write to this worker's own word: there is no moment where the slot is taken but not owned.
        this.words[mine + slot.slot * WORDS + HELD]! += 1;
        return 'acquired';
      }
      if (waiting >= queueSize) return this.settleExpiry(slot, 'full');
      if (byPrimary) return 'busy';
      const ticket = n[slot.at + NEXT_TICKET]! | 0;
      n[slot.at + NEXT_TICKET] = (ticket + 1) | 0;
      const at = mine + slot.slot * WORDS;
      if (this.words[at + WAITING] === 0) this.words[at + HEAD] = ticket;
      this.words[at + WAITING]! += 1;
      return { slot: slot.slot, ticket };
    });
    return outcome;
  }

  /** Gives back one slot `owner` holds of the pool; false when it holds none here (ask the primary). */
  release(key: string, limit: number, owner = this.owner, queueSize = 0): boolean {
    return this.releaseTo(key, limit, queueSize, owner) !== NOT_HELD;
  }

  /**
   * As `release`, for the worker `owner` itself: NOT_HELD (-2), HANDED (-1: free, or handed to another
   * worker, which was woken), or the table slot when the slot went to one of this worker's own waiters:
   * the caller settles it at once (SlotLines.settleNow) instead of waking its own wait.
   */
  releaseTo(key: string, limit: number, queueSize: number, owner = this.owner): number {
    const at = this.base(owner, 0);
    const released = this.table.withSlot(slotKey(key, limit, queueSize), this.now(), false, (slot) => {
      const held = at + slot.slot * WORDS + HELD;
      if (!(this.words[held]! > 0)) return NOT_HELD;
      // The grant first, then this worker's holding: stopped between the two, the pool counts one slot
      // too many until the primary zeroes this worker's words, never one too few.
      const to = this.oldestWaiting(slot.slot, 0);
      if (to !== 0) this.grant(to, slot.slot, to !== owner);
      this.words[held]! -= 1;
      this.settleExpiry(slot, true);
      return to === owner ? slot.slot : HANDED;
    });
    this.wakeAll();
    return released ?? NOT_HELD;
  }

  /**
   * `owner`'s worker settles its grants for table slot `slot` against its local line: each grant goes to
   * its oldest waiter if no other worker has an older one, else on to that worker; with nobody waiting
   * the slot is free. Then it publishes its line (size, oldest ticket). `leaving`: a waiter that gives
   * up (timeout, abort) and must leave the line under the same lock, after the grants were settled.
   */
  settle(slotIndex: number, line: LocalLine, leaving?: () => void, owner = this.owner): void {
    const at = this.base(owner, slotIndex);
    this.table.withSlotAt(slotIndex, (slot) => {
      while (this.words[at + GRANTS]! > 0) {
        const other = this.oldestWaiting(slotIndex, owner);
        const head = line.head();
        if (head !== undefined && (other === 0 || before(head, this.words[this.base(other, slotIndex) + HEAD]!))) {
          this.words[at + HELD]! += 1;
          this.words[at + GRANTS]! -= 1;
          this.words[at + WAITING]! -= 1;
          line.grantHead();
        } else {
          if (other !== 0) this.grant(other, slotIndex);
          this.words[at + GRANTS]! -= 1;
        }
      }
      leaving?.();
      this.words[at + WAITING] = line.size;
      const head = line.head();
      this.words[at + HEAD] = head ?? 0;
      this.settleExpiry(slot, true);
    });
    this.wakeAll();
  }

  /** Slots of the pool in flight on the node (held or handed to a waiter). */
  inFlight(key: string, limit: number, queueSize = 0): number {
    return (
      this.table.withSlot(slotKey(key, limit, queueSize), this.now(), false, (slot) => this.active(slot.slot)) ?? 0
    );
  }

  /** Requests of the pool waiting in line on the node. */
  queued(key: string, limit: number, queueSize: number): number {
    return (
      this.table.withSlot(slotKey(key, limit, queueSize), this.now(), false, (slot) => this.ungranted(slot.slot)) ?? 0
    );
  }

  /**
   * Gives back everything `owner` had (the primary, once that worker's thread has exited and its locks
   * were freed, before a replacement with the same id starts): its words are zeroed, then the freed
   * slots go to the oldest waiters of the other workers. Returns the slots given back.
   */
  freeOwner(owner: number): number {
    let freed = 0;
    for (let s = 0; s < this.table.capacity; s++) {
      const at = this.base(owner, s);
      if (this.words[at + HELD] === 0 && this.words[at + GRANTS] === 0 && this.words[at + WAITING] === 0) continue;
      this.table.withSlotAt(s, (slot) => {
        freed += Math.max(0, this.words[at + HELD]!) + Math.max(0, this.words[at + GRANTS]!);
        this.words.fill(0, at, at + WORDS);
        // Whatever the dead worker was doing mid-way, the sums are exact again: fill the free slots.
        const limit = slot.numbers[slot.at + LIMIT]!;
        while (this.ungranted(s) > 0 && this.active(s) < limit) this.handOff(s);
        this.settleExpiry(slot, true);
      });
    }
    this.wakeAll();
    return freed;
  }

  /** Slots `owner` holds in the table, all keys together (status and tests). */
  heldBy(owner: number): number {
    let held = 0;
    for (let s = 0; s < this.table.capacity; s++) held += this.words[this.base(owner, s) + HELD]!;
    return held;
  }

  /** Waiters of `owner` not yet handed a slot, all keys together (status and tests). */
  queuedBy(owner: number): number {
    let waiting = 0;
    for (let s = 0; s < this.table.capacity; s++) {
      const at = this.base(owner, s);
      waiting += Math.max(0, this.words[at + WAITING]! - this.words[at + GRANTS]!);
    }
    return waiting;
  }

  /** Slots and waiters the primary holds in its own pools for table-eligible keys. */
  get heldByPrimary(): number {
    return Atomics.load(this.words, H_PRIMARY_HELD);
  }

  /** Wake-ups sent so far: slots handed to a waiter on another thread (or to the worker from the primary). */
  get wakes(): number {
    return Atomics.load(this.words, H_WAKES);
  }

  /** The primary counts what it holds in its own pools for table-eligible keys (+1 / -1). */
  primaryHeld(delta: number): void {
    Atomics.add(this.words, H_PRIMARY_HELD, delta);
  }

  /** The index of `owner`'s grants word for table slot `slot` (what its waiters sleep on). */
  grantsWord(slot: number, owner = this.owner): number {
    return this.base(owner, slot) + GRANTS;
  }

  /** A freed slot goes to the worker with the oldest waiter not yet served; none waiting: it is free. */
  private handOff(slot: number): void {
    const to = this.oldestWaiting(slot, 0);
    if (to !== 0) this.grant(to, slot);
  }

  private grant(to: number, slot: number, wake = true): void {
    this.words[this.base(to, slot) + GRANTS]! += 1;
    if (wake) this.wake.push(this.base(to, slot) + GRANTS);
  }

  /** The worker (not `except`) whose oldest unserved waiter has the oldest ticket, or 0. */
  private oldestWaiting(slot: number, except: number): number {
    let best = 0;
    let bestTicket = 0;
    for (let o = 1; o <= this.owners; o++) {
      if (o === except) continue;
      const at = this.base(o, slot);
      if (!(this.words[at + WAITING]! > this.words[at + GRANTS]!)) continue;
      // A worker with grants it has not settled yet may have older waiters than its published head says
      // nothing of; it re-checks when it settles, and passes the grant on if another worker is older.
      const ticket = this.words[at + HEAD]!;
      if (best === 0 || before(ticket, bestTicket)) {
        best = o;
        bestTicket = ticket;
      }
    }
    return best;
  }

  /** Slots held or handed over, all workers together. */
  private active(slot: number): number {
    let active = 0;
    for (let o = 1; o <= this.owners; o++) {
      const at = this.base(o, slot);
      active += this.words[at + HELD]! + this.words[at + GRANTS]!;
    }
    return active;
  }

  /** Waiters not yet handed a slot, all workers together. */
  private ungranted(slot: number): number {
    let waiting = 0;
    for (let o = 1; o <= this.owners; o++) {
      const at = this.base(o, slot);
      waiting += Math.max(0, this.words[at + WAITING]! - this.words[at + GRANTS]!);
    }
    return waiting;
  }

  /** An idle pool (nothing held, handed or waiting) may go to another key after a while. */
  private settleExpiry<T>(slot: SlotView, value: T): T {
    let busy = false;
    for (let o = 1; o <= this.owners && !busy; o++) {
      const at = this.base(o, slot.slot);
      busy = this.words[at + HELD] !== 0 || this.words[at + GRANTS] !== 0 || this.words[at + WAITING] !== 0;
    }
    slot.numbers[slot.at + EXPIRY] = busy ? Number.POSITIVE_INFINITY : this.now() + IDLE_KEEP_MS;
    return value;
  }

  private wakeAll(): void {
    if (this.wake.length === 0) return;
    Atomics.add(this.words, H_WAKES, this.wake.length);
    for (const index of this.wake.splice(0)) Atomics.notify(this.words, index, 1);
  }

  private base(owner: number, slot: number): number {
    if (!(owner >= 1 && owner <= this.owners)) throw new Error(`shared slots: no owner ${owner}`);
    return HEADER_WORDS + ((owner - 1) * this.table.capacity + slot) * WORDS;
  }
}

/** Pools of different limits or lines are different pools (a reload that changes them starts afresh, as in one process). */
function slotKey(key: string, limit: number, queueSize: number): string {
  return queueSize === 0 ? `\u0002slot:${limit}:${key}` : `\u0002slot:${limit}:q${queueSize}:${key}`;
}

/** Ticket order, correct across the Int32 wrap-around. */
function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
