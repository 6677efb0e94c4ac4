/**
 * quota's `mode: approximate`: admits against the shared ApproximateCounter (the shared total is read
 * once when a key is first seen in a period, then reconciled on an interval), so the request path
 * waits for the store only on that first read. Bound: docs/decisions/0005-approximate-counters.md.
 */
import type { CounterStore } from '../sdk/counters/types.js';
import { ApproximateCounter } from '../stores/approximate-counter.js';
import type { PeriodBounds } from './period.js';

export interface ApproximateAdmission {
  admitted: boolean;
  /** Estimated count in the period after this request (when admitted). */
  count: number;
}

export class ApproximateQuotaCounter {
  private readonly counter: ApproximateCounter;

  constructor(
    store: CounterStore,
    private readonly limit: number,
    syncIntervalMs: number,
    onSyncError: (error: unknown) => void,
    now?: () => number,
  ) {
    this.counter = new ApproximateCounter({ store, syncIntervalMs, primeFromStore: true, onSyncError, now });
  }

  async admit(key: string, bounds: PeriodBounds): Promise<ApproximateAdmission> {
    const period = { startMs: bounds.startMs, lengthMs: bounds.endMs - bounds.startMs };
    for (;;) {
      const window = this.counter.window(key, period);
      if (window.ready) await window.ready;
      // A sync may have dropped the window while we waited: count on the live one.
      if (!this.counter.isLive(key, window)) continue;
      const current = ApproximateCounter.count(window);
      if (current >= this.limit) return { admitted: false, count: current };
      this.counter.admit(window);
      return { admitted: true, count: current + 1 };
    }
  }

  sync(): Promise<void> {
    return this.counter.sync();
  }

  close(): Promise<void> {
    return this.counter.close();
  }
}
