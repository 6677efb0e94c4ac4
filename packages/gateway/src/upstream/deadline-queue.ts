/** Something that can time out; told once its deadline passed (unless it was cancelled first). */
export interface Expirable {
  timeOut(): void;
}

/** Past this many consumed slots the arrays are compacted (amortized, no per-entry cost). */
const COMPACT_AFTER = 1024;

/**
 * Deadlines of one fixed duration expire in the order they were added, so a FIFO with a single native timer (armed
 * for the oldest live entry) does what a Timeout object per exchange would, without allocating one per request.
 * Cancelling clears the slot, so a finished exchange is not kept alive until its deadline.
 */
export class DeadlineQueue {
  readonly #durationMs: number;
  readonly #now: () => number;
  #items: Array<Expirable | undefined> = [];
  #deadlines: number[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(durationMs: number, now: () => number = performance.now.bind(performance)) {
    this.#durationMs = durationMs;
    this.#now = now;
  }

  /** Number of entries neither expired nor cancelled-and-dropped yet (tests). */
  get size(): number {
    let live = 0;
    for (let i = this.#head; i < this.#items.length; i++) if (this.#items[i] !== undefined) live++;
    return live;
  }

  /** Adds an entry expiring durationMs from now; returns its slot for cancel(). */
  add(item: Expirable): number {
    const deadline = this.#now() + this.#durationMs;
    const slot = this.#offset + this.#items.length;
    this.#items.push(item);
    this.#deadlines.push(deadline);
    if (this.#timer === undefined) this.#arm(deadline);
    return slot;
  }

  cancel(slot: number): void {
    const index = slot - this.#offset;
    if (index < this.#head || index >= this.#items.length) return;
    this.#items[index] = undefined;
    // Exchanges mostly finish in the order they started: drop the cancelled prefix right away.
    if (index === this.#head) this.#advance();
  }

  /** Slots are absolute; compaction shifts the arrays, so this is what was removed before index 0. */
  #offset = 0;

  #advance(): void {
    const items = this.#items;
    while (this.#head < items.length && items[this.#head] === undefined) this.#head++;
    // An armed timer is left to fire (it finds nothing due and re-arms if needed): re-creating one each time the
    // queue runs empty would cost a Timeout per request at low concurrency.
    if (this.#head === items.length) {
      this.#offset += items.length;
      this.#items = [];
      this.#deadlines = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= items.length) {
      this.#offset += this.#head;
      this.#items = items.slice(this.#head);
      this.#deadlines = this.#deadlines.slice(this.#head);
      this.#head = 0;
    }
  }

  #arm(deadline: number): void {
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, Math.ceil(deadline - this.#now())));
    // A pending deadline must not keep a draining process alive.
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    const now = this.#now();
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head];
      if (item !== undefined && this.#deadlines[this.#head]! > now) break;
      this.#items[this.#head] = undefined;
      this.#head++;
      item?.timeOut();
    }
    this.#advance();
    if (this.#head < this.#items.length && this.#timer === undefined) this.#arm(this.#deadlines[this.#head]!);
  }
}

const queues = new Map<number, DeadlineQueue>();

/** The process-wide queue for one duration (durations come from config, so there are few). */
export function deadlineQueue(durationMs: number): DeadlineQueue {
  let queue = queues.get(durationMs);
  if (queue === undefined) {
    queue = new DeadlineQueue(durationMs);
    queues.set(durationMs, queue);
  }
  return queue;
}
