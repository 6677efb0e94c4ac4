/**
 * In-flight slots per key with a bounded FIFO wait queue. Per gateway process: in-flight
 * requests are a local resource, so nothing is shared through Redis.
 */
interface Waiter {
  grant: () => void;
}

interface Pool {
  active: number;
  waiters: Waiter[];
}

export type Acquisition = 'acquired' | 'full' | 'timeout' | 'aborted';

export class SlotPool {
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly limit: number,
    private readonly queueSize: number,
    private readonly queueTimeoutMs: number,
  ) {}

  /** Takes a slot, waiting in line when allowed; the caller must release() an acquired slot once. */
  acquire(key: string, signal?: AbortSignal): Acquisition | Promise<Acquisition> {
    let pool = this.pools.get(key);
    if (!pool) {
      pool = { active: 0, waiters: [] };
      this.pools.set(key, pool);
    }
    if (pool.active < this.limit) {
      pool.active += 1;
      return 'acquired';
    }
    if (pool.waiters.length >= this.queueSize) return 'full';
    return this.wait(pool, signal);
  }

  release(key: string): void {
    const pool = this.pools.get(key);
    if (!pool) return;
    const next = pool.waiters.shift();
    // The slot passes straight to the next waiter, so `active` stays the same.
    if (next) {
      next.grant();
      return;
    }
    pool.active -= 1;
    if (pool.active === 0) this.pools.delete(key);
  }

  inFlight(key: string): number {
    return this.pools.get(key)?.active ?? 0;
  }

  queued(key: string): number {
    return this.pools.get(key)?.waiters.length ?? 0;
  }

  private wait(pool: Pool, signal: AbortSignal | undefined): Promise<Acquisition> {
    return new Promise<Acquisition>((resolve) => {
      const settle = (outcome: Acquisition) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const leave = (outcome: Acquisition) => {
        const index = pool.waiters.indexOf(waiter);
        if (index >= 0) pool.waiters.splice(index, 1);
        settle(outcome);
      };
      const onAbort = () => leave('aborted');
      const waiter: Waiter = { grant: () => settle('acquired') };
      const timer = setTimeout(() => leave('timeout'), this.queueTimeoutMs);
      if (signal?.aborted) return leave('aborted');
      signal?.addEventListener('abort', onAbort, { once: true });
      pool.waiters.push(waiter);
    });
  }
}
