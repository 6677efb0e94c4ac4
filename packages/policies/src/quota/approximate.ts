/**
 * Approximate quota counting: admits against a local estimate (last known shared total plus hits
 * not yet pushed) and reconciles with the shared store on an interval, so the request path only
 * waits for the store the first time a key is seen in a period.
 */
import type { CounterStore } from '../sdk/counters/types.js';
import type { PeriodBounds } from './period.js';

interface Entry {
  bounds: PeriodBounds;
  /** Shared total as of the last reconcile (includes hits this gateway already pushed). */
  shared: number;
  /** Hits admitted here and not yet pushed to the store. */
  pending: number;
  /** Whether the entry was used since the last reconcile; idle entries are dropped. */
  used: boolean;
  ready: Promise<void>;
}

export interface ApproximateAdmission {
  admitted: boolean;
  /** Estimated count in the period after this request (when admitted). */
  count: number;
}

export class ApproximateQuotaCounter {
  private readonly entries = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;
  private syncing: Promise<void> | undefined;

  constructor(
    private readonly counters: CounterStore,
    private readonly limit: number,
    syncIntervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {
    this.timer = setInterval(() => void this.sync(), syncIntervalMs);
    this.timer.unref();
  }

  async admit(key: string, bounds: PeriodBounds): Promise<ApproximateAdmission> {
    for (;;) {
      const entry = this.entries.get(key) ?? this.create(key, bounds);
      await entry.ready;
      // A reconcile may have dropped the entry while we waited: count on the live one.
      if (this.entries.get(key) !== entry) continue;
      entry.used = true;
      const current = entry.shared + entry.pending;
      if (current >= this.limit) return { admitted: false, count: current };
      entry.pending += 1;
      return { admitted: true, count: current + 1 };
    }
  }

  /** Pushes pending hits and refreshes shared totals (other gateways' hits) of every live key. */
  sync(): Promise<void> {
    this.syncing ??= this.reconcile().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sync();
    this.entries.clear();
  }

  private create(key: string, bounds: PeriodBounds): Entry {
    const entry: Entry = { bounds, shared: 0, pending: 0, used: true, ready: Promise.resolve() };
    entry.ready = this.fetch(key, entry);
    this.entries.set(key, entry);
    return entry;
  }

  private async fetch(key: string, entry: Entry): Promise<void> {
    try {
      entry.shared = await this.counters.add(key, windowOf(entry.bounds), 0, entry.bounds.startMs);
    } catch (error) {
      // Unknown shared state: start from the local count rather than refusing traffic.
      this.onError(error);
    }
  }

  private async reconcile(): Promise<void> {
    const now = Date.now();
    await Promise.all(
      [...this.entries].map(async ([key, entry]) => {
        const pushed = entry.pending;
        entry.pending -= pushed;
        try {
          entry.shared = await this.counters.add(key, windowOf(entry.bounds), pushed, entry.bounds.startMs);
        } catch (error) {
          entry.pending += pushed;
          this.onError(error);
          return;
        }
        const expired = now >= entry.bounds.endMs;
        if (entry.pending === 0 && (expired || !entry.used)) this.entries.delete(key);
        else entry.used = false;
      }),
    );
  }
}

function windowOf(bounds: PeriodBounds): number {
  return bounds.endMs - bounds.startMs;
}
