/**
 * Generic cell rate algorithm (a leaky bucket stored as one timestamp per key): each admitted
 * request pushes the key's theoretical arrival time one interval further; a request is refused
 * while that time is more than `burst - 1` intervals ahead of now.
 */
export interface Admission {
  allowed: boolean;
  /** When refused: ms until a request would be admitted. */
  retryAfterMs: number;
}

export class GcraLimiter {
  private readonly arrivals = new Map<string, number>();
  private readonly toleranceMs: number;

  constructor(
    private readonly intervalMs: number,
    burst: number,
  ) {
    this.toleranceMs = (burst - 1) * intervalMs;
  }

  take(key: string, now: number): Admission {
    const theoretical = Math.max(this.arrivals.get(key) ?? now, now);
    const allowAt = theoretical - this.toleranceMs;
    if (now < allowAt) return { allowed: false, retryAfterMs: allowAt - now };
    this.arrivals.set(key, theoretical + this.intervalMs);
    return { allowed: true, retryAfterMs: 0 };
  }

  /** Drops keys whose bucket has drained: they behave exactly like unseen keys. */
  prune(now: number): void {
    for (const [key, theoretical] of this.arrivals) if (theoretical <= now) this.arrivals.delete(key);
  }

  get size(): number {
    return this.arrivals.size;
  }
}
