/**
 * Concurrency slots of one gateway node in shared memory: a pool without a waiting line (queueSize 0)
 * is one SharedTable slot whose first number is the node's count in flight, taken and given back by
 * the worker that serves the request under the slot's lock (no message to the primary). Beside the
 * table, a holdings array counts what each worker holds in each slot, written under the same lock,
 * so the primary can give back the slots of a worker that died (`freeOwner`).
 *
 * What the table cannot hold goes to the primary's pools by message (the caller's fallback). A key
 * must never be counted in both places: the header counts the slots the primary holds in its own
 * pools, and while it is not zero a worker does not start a key new to the table but asks the primary,
 * which uses the table itself when the key is there or now fits. Design: docs/decisions/0012.
 */
import { EXPIRY, type SharedTable, type SlotView } from './shared-table.js';

/** The slot's number: requests of the pool in flight on the node. */
const ACTIVE = 0;
/** An idle pool keeps its slot this long: a key that comes back finds it without the insert lock. */
const IDLE_KEEP_MS = 5_000;
/** Int32 words before the holdings: [0] slots the primary holds in its own pools for queue-less keys. */
const HEADER_WORDS = 16;
const H_PRIMARY_HELD = 0;

export interface SharedSlotsOptions {
  /** Workers of the node (owner ids 1..owners); sizes the holdings. Ignored with `buffer`. */
  owners?: number;
  /** An existing holdings buffer (a worker attaches to the primary's). */
  buffer?: SharedArrayBuffer;
  /** The owner id of this thread (its worker index + 1); the primary names the owner per call. */
  owner?: number;
  now?: () => number;
}

export class SharedSlots {
  readonly buffer: SharedArrayBuffer;
  readonly owners: number;
  private readonly words: Int32Array;
  private readonly owner: number;
  private readonly now: () => number;

  constructor(
    private readonly table: SharedTable,
    options: SharedSlotsOptions = {},
  ) {
    this.buffer = options.buffer ?? new SharedArrayBuffer((HEADER_WORDS + (options.owners ?? 1) * table.capacity) * 4);
    this.words = new Int32Array(this.buffer);
    this.owners = (this.words.length - HEADER_WORDS) / table.capacity;
    if (!Number.isInteger(this.owners) || this.owners < 1)
      throw new Error('shared slots: buffer does not fit the table');
    this.owner = options.owner ?? 1;
    this.now = options.now ?? Date.now;
  }

  /**
   * Takes a slot of `key` (limit `limit`) for `owner`: 'acquired', 'full', or undefined when the table
   * cannot count this key (no room, key too long, or new here while the primary holds slots of its own):
   * then the primary decides. `byPrimary`: the primary acting for a worker (it checked its own pools).
   */
  acquire(key: string, limit: number, owner = this.owner, byPrimary = false): 'acquired' | 'full' | undefined {
    const holdings = this.holdingsOf(owner);
    return this.table.withSlot(slotKey(key, limit), this.now(), true, (slot) => {
      const n = slot.numbers;
      let active = n[slot.at + ACTIVE]!;
      if (Number.isNaN(active)) {
        // New to the table (numbers of a fresh slot are NaN): the primary may be counting it already.
        if (!byPrimary && Atomics.load(this.words, H_PRIMARY_HELD) > 0) return undefined;
        active = 0;
      }
      if (active >= limit) return 'full';
      // The count before the holding: a thread stopped between the two leaks a slot, never admits one too many.
      n[slot.at + ACTIVE] = active + 1;
      n[slot.at + EXPIRY] = Number.POSITIVE_INFINITY;
      this.words[holdings + slot.slot]! += 1;
      return 'acquired';
    });
  }

  /** Gives back one slot `owner` holds in the table; false when it holds none of `key` here (ask the primary). */
  release(key: string, limit: number, owner = this.owner): boolean {
    const holdings = this.holdingsOf(owner);
    const now = this.now();
    const released = this.table.withSlot(slotKey(key, limit), now, false, (slot) => {
      const at = holdings + slot.slot;
      if (!(this.words[at]! > 0)) return false;
      this.words[at]! -= 1;
      leave(slot, 1, now);
      return true;
    });
    return released === true;
  }

  /** Requests of `key` in flight on the node, as the table counts them. */
  inFlight(key: string, limit: number): number {
    const active = this.table.withSlot(
      slotKey(key, limit),
      this.now(),
      false,
      (slot) => slot.numbers[slot.at + ACTIVE]!,
    );
    return active === undefined || Number.isNaN(active) ? 0 : active;
  }

  /**
   * Gives back every slot `owner` held (the primary, once that worker's thread has exited and its locks
   * were freed, before a replacement with the same id starts). Returns the number of slots given back.
   */
  freeOwner(owner: number): number {
    const holdings = this.holdingsOf(owner);
    const now = this.now();
    let freed = 0;
    for (let s = 0; s < this.table.capacity; s++) {
      if (this.words[holdings + s] === 0) continue;
      this.table.withSlotAt(s, (slot) => {
        const held = this.words[holdings + s]!;
        this.words[holdings + s] = 0;
        if (held > 0) leave(slot, held, now);
        freed += Math.max(0, held);
      });
    }
    return freed;
  }

  /** Slots `owner` holds in the table, all keys together (status and tests). */
  heldBy(owner: number): number {
    const holdings = this.holdingsOf(owner);
    let held = 0;
    for (let s = 0; s < this.table.capacity; s++) held += this.words[holdings + s]!;
    return held;
  }

  /** Slots the primary holds in its own pools for queue-less keys (the table had no room for them). */
  get heldByPrimary(): number {
    return Atomics.load(this.words, H_PRIMARY_HELD);
  }

  /** The primary counts the slots it holds in its own pools for queue-less keys (+1 / -1). */
  primaryHeld(delta: number): void {
    Atomics.add(this.words, H_PRIMARY_HELD, delta);
  }

  private holdingsOf(owner: number): number {
    if (!(owner >= 1 && owner <= this.owners)) throw new Error(`shared slots: no owner ${owner}`);
    return HEADER_WORDS + (owner - 1) * this.table.capacity;
  }
}

/** Pools of different limits are different pools (a reload that changes the limit starts afresh, as in one process). */
function slotKey(key: string, limit: number): string {
  return `\u0002slot:${limit}:${key}`;
}

function leave(slot: SlotView, count: number, now: number): void {
  const n = slot.numbers;
  const active = Math.max(0, n[slot.at + ACTIVE]! - count);
  n[slot.at + ACTIVE] = active;
  if (active === 0) n[slot.at + EXPIRY] = now + IDLE_KEEP_MS;
}
