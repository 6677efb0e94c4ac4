/** Window algorithms shared by rate-limit and quota. */
export type WindowAlgorithm = 'fixed' | 'sliding';

export interface HitResult {
  /** Count in the current window after this hit (for sliding: the weighted estimate). */
  count: number;
  /** Milliseconds until the window resets (fixed) or until one more request would be admitted (sliding, approx.). */
  resetMs: number;
  /** True when the hit was counted locally because the shared store (Redis) was unreachable. */
  degraded: boolean;
}

export interface HitRequest {
  /** Namespaced counter key, e.g. `rl:<scope key>:<subscription id>`. */
  key: string;
  windowMs: number;
  algorithm: WindowAlgorithm;
  /** Limit: lets the store refuse without counting refused hits (for exact remaining headers). */
  limit: number;
  cost?: number;
  /** Absolute window start for calendar-aligned windows (quota); otherwise windows align to epoch. */
  windowStartMs?: number;
}

export interface CounterStore {
  readonly kind: 'memory' | 'redis';
  /** Atomically counts one hit (unless it would exceed the limit) and reports the window state. */
  hit(request: HitRequest): HitResult | Promise<HitResult>;
  /** Current count without incrementing (for headers, tests). */
  peek(request: HitRequest): HitResult | Promise<HitResult>;
  /** Approximate mode: adds `delta` to the shared counter and returns the shared total (reconcile). */
  add(key: string, windowMs: number, delta: number, windowStartMs?: number): Promise<number>;
  close(): Promise<void>;
}
