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

export class MemoryCounterStore implements CounterStore {
  readonly kind = 'memory' as const;
  private readonly windows = new Map<string, WindowEntry>();
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
    return this.windows.size;
  }

  hit(request: HitRequest): HitResult {
    const cost = request.cost ?? 1;
    const now = this.now();
    const start = windowStart(now, request.windowMs, request.windowStartMs);
    const currentKey = `${request.key}@${start}`;
    // One clock read and one lookup of the current window per hit: this runs on every rate-limited request.
    const entry = this.live(currentKey, now);
    const counts: WindowCounts = {
      current: entry?.count ?? 0,
      previous: this.previousCount(request, start, now),
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
    else this.write(currentKey, counts.current, start + 2 * request.windowMs);
    return toHitResult(request.algorithm, counts, request, 'admitted', this.degraded);
  }

  peek(request: HitRequest): HitResult {
    return toHitResult(request.algorithm, this.read(request).counts, request, 'peek', this.degraded);
  }

  async add(key: string, windowMs: number, delta: number, windowStartMs?: number): Promise<number> {
    const start = windowStart(this.now(), windowMs, windowStartMs);
    const entryKey = `${key}@${start}`;
    const total = (this.live(entryKey)?.count ?? 0) + delta;
    this.write(entryKey, total, start + 2 * windowMs);
    return total;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.windows.clear();
  }

  /** Drops expired windows; runs on the sweep timer. */
  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.windows) if (entry.expiresAt <= now) this.windows.delete(key);
  }

  private read(request: HitRequest): { counts: WindowCounts; currentKey: string; expiresAt: number } {
    const now = this.now();
    const start = windowStart(now, request.windowMs, request.windowStartMs);
    const currentKey = `${request.key}@${start}`;
    return {
      counts: {
        current: this.live(currentKey, now)?.count ?? 0,
        previous: this.previousCount(request, start, now),
        elapsed: now - start,
      },
      currentKey,
      expiresAt: start + 2 * request.windowMs,
    };
  }

  private previousCount(request: HitRequest, start: number, now: number): number {
    if (request.algorithm !== 'sliding') return 0;
    return this.live(`${request.key}@${start - request.windowMs}`, now)?.count ?? 0;
  }

  private live(entryKey: string, now = this.now()): WindowEntry | undefined {
    const entry = this.windows.get(entryKey);
    if (entry && entry.expiresAt <= now) {
      this.windows.delete(entryKey);
      return undefined;
    }
    return entry;
  }

  private write(entryKey: string, count: number, expiresAt: number): void {
    const entry = this.windows.get(entryKey);
    if (entry) {
      entry.count = count;
      return;
    }
    if (this.windows.size >= this.maxEntries) {
      this.sweep();
      // Still full: drop the oldest insertion, which is the oldest window.
      if (this.windows.size >= this.maxEntries) {
        const oldest = this.windows.keys().next();
        if (!oldest.done) this.windows.delete(oldest.value);
      }
    }
    this.windows.set(entryKey, { count, expiresAt });
  }
}
