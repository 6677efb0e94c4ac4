/**
 * A fixed-size hash table in a SharedArrayBuffer, shared by the worker threads of one gateway node:
 * open addressing (linear probing) keyed by a hash of the key, the key's UTF-16 code units stored in
 * the slot and compared, one spin lock per slot (Atomics) held for a few hundred nanoseconds while a
 * hit reads and writes the slot's numbers, and one insert lock that serializes the placing of new keys
 * (so two threads never place the same key twice). Slots are never emptied: a slot whose numbers have
 * all expired is given to a new key in place, so a probe chain never breaks.
 *
 * The table knows nothing of windows or buckets: `withSlot` hands the caller a locked slot's numbers.
 * Design and the behaviour when full: docs/decisions/0012-shared-memory-counters.md.
 */

/** Bytes per slot: 32 of Int32 fields, 48 of Float64 numbers, the rest the key's code units. */
const SLOT_BYTES = 512;
const I32_PER_SLOT = SLOT_BYTES / 4;
const F64_PER_SLOT = SLOT_BYTES / 8;
const U16_PER_SLOT = SLOT_BYTES / 2;
/** Int32 fields of a slot. */
const STATE = 0; // 0 never used, 1 holds a key
const LOCK = 1; // 0 free, else the owner id of the thread holding it
const HASH = 2;
const KEY_LEN = 3;
/** Float64 numbers of a slot (index within the slot's Float64 view). */
const F64_BASE = 4;
/** How many numbers a slot carries for its user; the last is the slot's expiry (ms since epoch). */
export const SLOT_NUMBERS = 5;
const EXPIRES = F64_BASE + SLOT_NUMBERS - 1;
const KEY_BASE = 80 / 2;
/** Longest key (UTF-16 code units) a slot holds; longer keys are not placed (the caller falls back). */
export const MAX_KEY_LENGTH = U16_PER_SLOT - KEY_BASE;
/** Header: insert lock, keys placed, operations refused because the table was full. */
const HEADER_BYTES = SLOT_BYTES;
const H_INSERT_LOCK = 0;
const H_PLACED = 1;
const H_FULL = 2;
/** Longest probe sequence: beyond it the table counts as full for that key. */
const MAX_PROBES = 64;
/** Spins before a worker thread sleeps briefly (the lock holder may have been descheduled). */
const SPINS_BEFORE_SLEEP = 1_000;

export interface SharedTableOptions {
  /** Slots (rounded up to a power of two). Default 32,768 (16 MiB). */
  capacity?: number;
  /** An existing table's buffer (a worker attaches to the primary's table). */
  buffer?: SharedArrayBuffer;
  /** Written into the locks this thread holds, so the primary can free them if the thread dies. Default 1. */
  owner?: number;
}

/**
 * The numbers of one locked slot: `numbers[at + i]` for i < EXPIRY are the caller's (NaN in a slot just
 * given to a key); `numbers[at + EXPIRY]` is when the slot may go to another key (ms since epoch).
 */
export interface SlotView {
  numbers: Float64Array;
  at: number;
  /** The slot's index (stable while the key holds it: what per-slot side tables are indexed by). */
  slot: number;
}

export class SharedTable {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  private readonly mask: number;
  private readonly header: Int32Array;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly u16: Uint16Array;
  private readonly owner: number;
  private readonly canSleep: boolean;
  private readonly view: SlotView;

  constructor(options: SharedTableOptions = {}) {
    if (options.buffer) {
      this.buffer = options.buffer;
      this.capacity = (options.buffer.byteLength - HEADER_BYTES) / SLOT_BYTES;
    } else {
      this.capacity = 2 ** Math.ceil(Math.log2(Math.max(MAX_PROBES, options.capacity ?? 32_768)));
      this.buffer = new SharedArrayBuffer(HEADER_BYTES + this.capacity * SLOT_BYTES);
    }
    if (!Number.isInteger(Math.log2(this.capacity))) throw new Error('shared table: capacity is not a power of two');
    this.mask = this.capacity - 1;
    this.header = new Int32Array(this.buffer, 0, HEADER_BYTES / 4);
    this.i32 = new Int32Array(this.buffer, HEADER_BYTES);
    this.f64 = new Float64Array(this.buffer, HEADER_BYTES);
    this.u16 = new Uint16Array(this.buffer, HEADER_BYTES);
    this.owner = options.owner ?? 1;
    // Atomics.wait is refused on a main thread; there the lock only spins.
    this.canSleep = !isMainThreadLike();
    this.view = { numbers: this.f64, at: 0, slot: 0 };
  }

  /** Keys placed so far (slots in use, expired or not). */
  get placed(): number {
    return Atomics.load(this.header, H_PLACED);
  }

  /** Operations that found no slot (table full along the key's probe sequence, or the key too long). */
  get refused(): number {
    return Atomics.load(this.header, H_FULL);
  }

  /**
   * Runs `use` on the slot of `key`, locked; `create` places the key when absent (in an unused or
   * expired slot). Returns `use`'s value, or `undefined` when the key has no slot and none could be
   * given (absent and not created, too long, or no room): the caller decides what that means.
   */
  withSlot<T>(key: string, now: number, create: boolean, use: (slot: SlotView) => T): T | undefined {
    if (key.length > MAX_KEY_LENGTH) {
      if (create) Atomics.add(this.header, H_FULL, 1);
      return undefined;
    }
    const hash = hashOf(key);
    let slot = this.find(key, hash);
    if (slot < 0) {
      if (!create) return undefined;
      slot = this.place(key, hash, now);
      if (slot < 0) {
        Atomics.add(this.header, H_FULL, 1);
        return undefined;
      }
    }
    return this.use(slot, use);
  }

  /** Runs `use` on slot number `slot`, locked, whatever key it holds (undefined: never used). */
  withSlotAt<T>(slot: number, use: (slot: SlotView) => T): T | undefined {
    const base = slot * I32_PER_SLOT;
    if (Atomics.load(this.i32, base + STATE) === 0) return undefined;
    this.lock(this.i32, base + LOCK);
    return this.use(slot, use);
  }

  /** Runs `use` on a slot this thread has locked, and unlocks it. */
  private use<T>(slot: number, use: (slot: SlotView) => T): T {
    try {
      this.view.at = slot * F64_PER_SLOT + F64_BASE;
      this.view.slot = slot;
      return use(this.view);
    } finally {
      this.unlock(slot * I32_PER_SLOT + LOCK);
    }
  }

  /** Frees every lock `owner` holds (the primary calls this when a worker thread has exited mid-operation). */
  releaseOwner(owner: number): number {
    let freed = Atomics.compareExchange(this.header, H_INSERT_LOCK, owner, 0) === owner ? 1 : 0;
    for (let s = 0; s < this.capacity; s++)
      if (Atomics.compareExchange(this.i32, s * I32_PER_SLOT + LOCK, owner, 0) === owner) freed++;
    return freed;
  }

  /** The slot holding `key`, locked, or -1. Runs without the insert lock: hashes are read atomically, keys under the slot lock. */
  private find(key: string, hash: number): number {
    let s = hash & this.mask;
    for (let probe = 0; probe < MAX_PROBES; probe++, s = (s + 1) & this.mask) {
      const base = s * I32_PER_SLOT;
      if (Atomics.load(this.i32, base + STATE) === 0) return -1; // end of the chain: slots are never emptied
      if (Atomics.load(this.i32, base + HASH) !== hash) continue;
      this.lock(this.i32, base + LOCK);
      // Re-read under the lock: the slot may have been given to another key meanwhile.
      if (this.i32[base + HASH] === hash && this.keyEquals(s, key)) return s;
      this.unlock(base + LOCK);
    }
    return -1;
  }

  /** Places `key` (under the insert lock) and returns its slot locked, or -1 when its probe sequence has no room. */
  private place(key: string, hash: number, now: number): number {
    this.lock(this.header, H_INSERT_LOCK);
    try {
      // Another thread may have placed it since our find: places only happen under this lock.
      const found = this.find(key, hash);
      if (found >= 0) return found;
      let s = hash & this.mask;
      for (let probe = 0; probe < MAX_PROBES; probe++, s = (s + 1) & this.mask) {
        const base = s * I32_PER_SLOT;
        const unused = Atomics.load(this.i32, base + STATE) === 0;
        this.lock(this.i32, base + LOCK);
        if (unused || this.f64[s * F64_PER_SLOT + EXPIRES]! <= now) {
          this.write(s, key, hash);
          if (unused) {
            Atomics.store(this.i32, base + STATE, 1);
            Atomics.add(this.header, H_PLACED, 1);
          }
          return s;
        }
        this.unlock(base + LOCK);
      }
      return -1;
    } finally {
      this.unlock(H_INSERT_LOCK, this.header);
    }
  }

  private write(s: number, key: string, hash: number): void {
    const base = s * I32_PER_SLOT;
    const keyAt = s * U16_PER_SLOT + KEY_BASE;
    for (let i = 0; i < key.length; i++) this.u16[keyAt + i] = key.charCodeAt(i);
    this.i32[base + KEY_LEN] = key.length;
    this.f64.fill(Number.NaN, s * F64_PER_SLOT + F64_BASE, s * F64_PER_SLOT + F64_BASE + SLOT_NUMBERS);
    this.f64[s * F64_PER_SLOT + EXPIRES] = 0;
    Atomics.store(this.i32, base + HASH, hash);
  }

  private keyEquals(s: number, key: string): boolean {
    if (this.i32[s * I32_PER_SLOT + KEY_LEN] !== key.length) return false;
    const keyAt = s * U16_PER_SLOT + KEY_BASE;
    for (let i = 0; i < key.length; i++) if (this.u16[keyAt + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  private lock(words: Int32Array, index: number): void {
    let spins = 0;
    while (Atomics.compareExchange(words, index, 0, this.owner) !== 0) {
      if (++spins < SPINS_BEFORE_SLEEP || !this.canSleep) continue;
      // The holder is likely descheduled (more threads than cores): give it the core for a moment.
      spins = 0;
      Atomics.wait(words, index, Atomics.load(words, index), 0.05);
    }
  }

  private unlock(index: number, words: Int32Array = this.i32): void {
    Atomics.store(words, index, 0);
  }
}

/** Index of the slot's expiry among its numbers (`numbers[at + EXPIRY]`). */
export const EXPIRY = SLOT_NUMBERS - 1;

/** FNV-1a over UTF-16 code units (no encoding step on the hot path). */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

function isMainThreadLike(): boolean {
  // Avoids importing node:worker_threads into every policy bundle: Atomics.wait throws on a main thread.
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return false;
  } catch {
    return true;
  }
}
