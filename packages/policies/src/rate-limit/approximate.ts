/**
 * Approximate (locally decided) rate limiting for many gateways. Each gateway decides on its own
 * from `shared + in flight + pending`, where `shared` is the cluster total it last read from the store
 * and `pending` what it admitted since; every `syncInterval` it pushes `pending` with `counters.add`
 * and reads the new total back. A request costs no store round trip.
 *
 * Worst-case overshoot. Take G gateways, gateway h receiving r_h requests/s for a key, a sync interval
 * S and store round trip d. For each gateway g let s_g be its last sync in the window after which it
 * still admitted something (the window start if none). Everything g admitted before s_g is in the
 * store at s_g; after s_g it admits a_g <= min(limit, r_g x (S + d)) requests, because it syncs again
 * within S + d and admitted nothing after that. Let g* be the gateway with the latest s_g: the store
 * total T at s_g* already includes every gateway's admissions up to its own s_g, and g* stops at
 * T + a_g* <= limit. So the window admits
 *     N <= T + a_g* + sum over h != g* of a_h <= limit + sum over h != g* of min(limit, r_h x (S + d)),
 * i.e. overshoot <= (G - 1) x min(limit, r x (S + d)) for equal rates; roughly (G - 1) x r x S.
 * Local counts of a window that ended before they were pushed are dropped (they would only inflate
 * the next window), so the sliding variant may underestimate the previous window by the same amount.
 */
import type { CounterStore, HitResult, WindowAlgorithm } from '../sdk/counters/types.js';
import { slidingEstimate, toHitResult, windowStart } from '../stores/window.js';

export interface ApproximateCounterOptions {
  store: CounterStore;
  windowMs: number;
  algorithm: WindowAlgorithm;
  syncIntervalMs: number;
  /** Keys tracked locally at most; the least recently used beyond it are forgotten. */
  maxKeys?: number;
  /** Reports a failed reconcile (the store is not resilient, or a bug). */
  onSyncError?: (error: unknown) => void;
  now?: () => number;
}

interface LocalWindow {
  start: number;
  /** Cluster total of this window as last read from the store (includes our pushed counts). */
  shared: number;
  /** Pushed, not yet acknowledged. */
  inFlight: number;
  /** Admitted here since the last push. */
  pending: number;
  /** What this gateway knew of the previous window's total (sliding). */
  previousTotal: number;
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

  /** Admits or refuses one request for `key` from local knowledge only. */
  hit(key: string, limit: number): HitResult {
    const { windowMs, algorithm } = this.options;
    const now = this.now();
    const entry = this.entryFor(key, now);
    const counts = {
      current: entry.shared + entry.inFlight + entry.pending,
      previous: algorithm === 'sliding' ? entry.previousTotal : 0,
      elapsed: now - entry.start,
    };
    const estimate =
      algorithm === 'sliding'
        ? slidingEstimate(counts.previous, counts.current, counts.elapsed, windowMs)
        : counts.current;
    if (estimate + 1 > limit) return toHitResult(algorithm, counts, { windowMs, limit }, 'refused', false);
    entry.pending += 1;
    counts.current += 1;
    return toHitResult(algorithm, counts, { windowMs, limit }, 'admitted', false);
  }

  /** Pushes pending counts and reads the shared totals back; one sync at a time. */
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

  private entryFor(key: string, now: number): LocalWindow {
    const start = windowStart(now, this.options.windowMs);
    const existing = this.windows.get(key);
    if (existing?.start === start) return existing;
    const previousTotal =
      existing?.start === start - this.options.windowMs ? existing.shared + existing.inFlight + existing.pending : 0;
    const entry: LocalWindow = { start, shared: 0, inFlight: 0, pending: 0, previousTotal };
    this.windows.delete(key);
    this.windows.set(key, entry);
    if (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
    return entry;
  }

  private async pushAll(): Promise<void> {
    const { store, windowMs } = this.options;
    const current = windowStart(this.now(), windowMs);
    const pushes: Array<Promise<void>> = [];
    for (const [key, entry] of this.windows) {
      if (entry.start !== current) {
        // Kept one extra window as the sliding algorithm's previous window, then forgotten.
        if (entry.start < current - windowMs) this.windows.delete(key);
        continue;
      }
      if (entry.pending === 0) continue;
      const delta = entry.pending;
      entry.pending = 0;
      entry.inFlight += delta;
      pushes.push(
        store.add(key, windowMs, delta).then(
          (total) => {
            entry.inFlight -= delta;
            // Within a window the total only grows; a smaller answer means clocks disagree at a boundary.
            entry.shared = Math.max(entry.shared + delta, total);
          },
          (error: unknown) => {
            entry.inFlight -= delta;
            entry.pending += delta;
            this.options.onSyncError?.(error);
          },
        ),
      );
    }
    await Promise.all(pushes);
  }
}
