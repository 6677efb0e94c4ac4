/**
 * Local admission against a shared counter, reconciled on an interval: the one component behind
 * rate-limit's and quota's `mode: approximate`. A request costs no store round trip; the gateway
 * decides from `shared + inFlight + pending` where
 *   shared   = the cluster total of the window as last read from the store,
 *   inFlight = hits pushed to the store and not yet acknowledged (counted: see below),
 *   pending  = hits admitted here since the last push.
 * Counting `inFlight` is what keeps one gateway at its limit while a push is on the wire: without it,
 * hits leave `pending` before they reach `shared`, and a slow store lets the gateway admit them twice.
 * The overshoot bound across gateways is proved in docs/decisions/0005-approximate-counters.md.
 */
import type { CounterStore } from '../sdk/counters/types.js';

export interface WindowBounds {
  startMs: number;
  lengthMs: number;
}

export interface LocalWindow {
  readonly startMs: number;
  readonly lengthMs: number;
  shared: number;
  inFlight: number;
  pending: number;
  /** What this gateway knew of the previous window's total (sliding windows). */
  previousTotal: number;
  /** Used since the last sync (idle primed windows are forgotten and read again on next use). */
  used: boolean;
  /** Settles once the shared total was read (primed counters only). */
  ready: Promise<void> | undefined;
}

export interface ApproximateCounterOptions {
  store: CounterStore;
  syncIntervalMs: number;
  /** Windows tracked locally at most; the least recently created beyond it are forgotten. */
  maxKeys?: number;
  /**
   * Read the shared total before the first local decision on a key. Quota periods are long (a month):
   * a fresh gateway must not admit a whole limit before its first sync. Rate-limit windows are short
   * and skip the read (the bound accounts for it).
   */
  primeFromStore?: boolean;
  onSyncError?: (error: unknown) => void;
  now?: () => number;
}

export class ApproximateCounter {
  private readonly windows = new Map<string, LocalWindow>();
  private readonly timer: NodeJS.Timeout;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private syncing: Promise<void> | undefined;

  constructor(private readonly options: ApproximateCounterOptions) {
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? (() => Date.now());
    this.timer = setInterval(() => void this.sync(), options.syncIntervalMs);
    this.timer.unref();
  }

  /** Local estimate of the window's cluster total, this gateway's unsynced hits included. */
  static count(window: LocalWindow): number {
    return window.shared + window.inFlight + window.pending;
  }

  /**
   * The local window of `key` for `bounds`; a new window replaces the key's older one and remembers
   * its total as the previous window's count when it was the one just before.
   */
  window(key: string, bounds: WindowBounds): LocalWindow {
    const existing = this.windows.get(key);
    if (existing?.startMs === bounds.startMs) {
      existing.used = true;
      return existing;
    }
    const previousTotal =
      existing && existing.startMs + existing.lengthMs === bounds.startMs ? ApproximateCounter.count(existing) : 0;
    const window: LocalWindow = {
      startMs: bounds.startMs,
      lengthMs: bounds.lengthMs,
      shared: 0,
      inFlight: 0,
      pending: 0,
      previousTotal,
      used: true,
      ready: undefined,
    };
    if (this.options.primeFromStore) window.ready = this.prime(key, window);
    this.windows.delete(key);
    this.windows.set(key, window);
    if (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
    return window;
  }

  /** True when `window` is still the one tracked for `key` (a sync may have dropped it meanwhile). */
  isLive(key: string, window: LocalWindow): boolean {
    return this.windows.get(key) === window;
  }

  /** Counts `cost` admitted hits in the window; pushed at the next sync. */
  admit(window: LocalWindow, cost = 1): void {
    window.pending += cost;
  }

  /** Pushes pending hits and reads the shared totals back; one sync at a time. */
  sync(): Promise<void> {
    this.syncing ??= this.pushAll().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  /** Stops the timer and pushes what is still pending (called when the config version retires). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sync();
  }

  /** Windows tracked now (for tests of the bound on memory). */
  get size(): number {
    return this.windows.size;
  }

  private async prime(key: string, window: LocalWindow): Promise<void> {
    try {
      const total = await this.options.store.add(key, window.lengthMs, 0, window.startMs);
      window.shared = Math.max(window.shared, total);
    } catch (error) {
      // Unknown shared state: decide from the local count rather than refusing traffic.
      this.options.onSyncError?.(error);
    }
  }

  private async pushAll(): Promise<void> {
    const now = this.now();
    const pushes: Array<Promise<void>> = [];
    for (const [key, window] of this.windows) {
      const end = window.startMs + window.lengthMs;
      if (now >= end) {
        // Counts of a window that ended are not pushed (they would only inflate a window nobody reads);
        // unprimed (rate-limit) windows are kept one more length as the sliding previous window.
        if (this.options.primeFromStore || now >= end + window.lengthMs) this.windows.delete(key);
        continue;
      }
      if (window.pending === 0) {
        if (!window.used && window.inFlight === 0 && this.options.primeFromStore) this.windows.delete(key);
        window.used = false;
        continue;
      }
      window.used = false;
      const delta = window.pending;
      window.pending = 0;
      window.inFlight += delta;
      pushes.push(
        this.options.store.add(key, window.lengthMs, delta, window.startMs).then(
          (total) => {
            window.inFlight -= delta;
            // Within a window the total only grows; a smaller answer means clocks disagree at a boundary.
            window.shared = Math.max(window.shared + delta, total);
          },
          (error: unknown) => {
            window.inFlight -= delta;
            window.pending += delta;
            this.options.onSyncError?.(error);
          },
        ),
      );
    }
    await Promise.all(pushes);
  }
}
