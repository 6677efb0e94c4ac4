/**
 * In-process counters: the store of a single gateway, and the fallback of the Redis store. One
 * entry per (key, window start); an entry lives two windows so the sliding algorithm can still read
 * the previous window.
 */
import type { CounterStore, HitRequest, HitResult } from '../sdk/counters/types.js';
import { slidingEstimate, toHitResult, type WindowCounts, windowStart } from './window.js';

export interface MemoryCounterStoreOptions {
  /** Most windows kept; beyond it the oldest are dropped (that key briefly counts from zero). */
  maxEntries?: number;
  /** How often expired windows are swept. */
  sweepIntervalMs?: number;
  /** Reported in HitResult.degraded (true when this store stands in for Redis). */
  degraded?: boolean;
  /** Clock (tests pass fake time). */
  now?: () => number;
}

interface WindowEntry {
  count: number;
  expiresAt: number;
}

/**
 * Windows by counter key, then by window start. Two levels rather than one `${key}@${start}` string: the per-hit
 * composite string had to be built and hashed on every request, twice for sliding windows.
 */
type WindowsOfKey = Map<number, WindowEntry>;

export class MemoryCounterStore implements CounterStore {
  readonly kind = 'memory' as const;
  private readonly windows = new Map<string, WindowsOfKey>();
  private entries = 0;
  private readonly maxEntries: number;
  private readonly degraded: boolean;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: MemoryCounterStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.degraded = options.degraded ?? false;
    this.now = options.now ?? (() => Date.now());
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 30_000);
    // A sweeper must never keep a process (or a test run) alive.
    this.sweeper.unref();
  }

  /** Number of live window entries (for tests and metrics). */
  get size(): number {
    return this.entries;
  }

  hit(request: HitRequest): HitResult {
    const cost = request.cost ?? 1;
    const now = this.now();
    const start = windowStart(now, request.windowMs, request.windowStartMs);
    const ofKey = this.windows.get(request.key);
    const entry = ofKey === undefined ? undefined : this.live(ofKey, start, now);
    const counts: WindowCounts = {
      current: entry?.count ?? 0,
      previous:
        request.algorithm === 'sliding' && ofKey !== undefined
          ? (this.live(ofKey, start - request.windowMs, now)?.count ?? 0)
          : 0,
      elapsed: now - start,
    };
    const estimate =
      request.algorithm === 'sliding'
        ? slidingEstimate(counts.previous, counts.current, counts.elapsed, request.windowMs)
        : counts.current;
    if (estimate + cost > request.limit)
      return toHitResult(request.algorithm, counts, request, 'refused', this.degraded);
    counts.current += cost;
    if (entry) entry.count = counts.current;
    else this.insert(request.key, start, counts.current, start + 2 * request.windowMs);
    return toHitResult(request.algorithm, counts, request, 'admitted', this.degraded);
  }

  peek(request: HitRequest): HitResult {
    const now = this.now();
    const start = windowStart(now, request.windowMs, request.windowStartMs);
    const ofKey = this.windows.get(request.key);
    const counts: WindowCounts = {
      current: ofKey === undefined ? 0 : (this.live(ofKey, start, now)?.count ?? 0),
      previous:
        request.algorithm === 'sliding' && ofKey !== undefined
          ? (this.live(ofKey, start - request.windowMs, now)?.count ?? 0)
          : 0,
      elapsed: now - start,
    };
    return toHitResult(request.algorithm, counts, request, 'peek', this.degraded);
  }

  async add(key: string, windowMs: number, delta: number, windowStartMs?: number): Promise<number> {
    const now = this.now();
    const start = windowStart(now, windowMs, windowStartMs);
    const ofKey = this.windows.get(key);
    const entry = ofKey === undefined ? undefined : this.live(ofKey, start, now);
    const total = (entry?.count ?? 0) + delta;
    if (entry) entry.count = total;
    else this.insert(key, start, total, start + 2 * windowMs);
    return total;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.windows.clear();
    this.entries = 0;
  }

  /** Drops expired windows; runs on the sweep timer. */
  sweep(): void {
    const now = this.now();
    for (const [key, ofKey] of this.windows) {
      for (const [start, entry] of ofKey) {
        if (entry.expiresAt <= now) {
          ofKey.delete(start);
          this.entries--;
        }
      }
      if (ofKey.size === 0) this.windows.delete(key);
    }
  }

  private live(ofKey: WindowsOfKey, start: number, now: number): WindowEntry | undefined {
    const entry = ofKey.get(start);
    if (entry && entry.expiresAt <= now) {
      ofKey.delete(start);
      this.entries--;
      return undefined;
    }
    return entry;
  }

  private insert(key: string, start: number, count: number, expiresAt: number): void {
    if (this.entries >= this.maxEntries) {
      this.sweep();
      // Still full: drop the oldest window of the key inserted first (keys and windows keep insertion order).
      if (this.entries >= this.maxEntries) {
        const oldest = this.windows.entries().next();
        if (!oldest.done) {
          const [oldestKey, ofOldest] = oldest.value;
          const first = ofOldest.keys().next();
          if (!first.done) {
            ofOldest.delete(first.value);
            this.entries--;
          }
          if (ofOldest.size === 0) this.windows.delete(oldestKey);
        }
      }
    }
    let ofKey = this.windows.get(key);
    if (ofKey === undefined) {
      ofKey = new Map();
      this.windows.set(key, ofKey);
    }
    ofKey.set(start, { count, expiresAt });
    this.entries++;
  }
}
