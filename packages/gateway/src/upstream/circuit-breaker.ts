import type { BreakerSettings } from './settings.js';
import type { CircuitState } from './types.js';

/** Admission verdicts: numbers rather than objects, the hot path allocates nothing. */
export const REJECTED = 0;
export const ADMITTED = 1;
/** Admitted as a half-open probe: its outcome decides whether the circuit closes or reopens. */
export const PROBE = 2;
export type Admission = typeof REJECTED | typeof ADMITTED | typeof PROBE;

/**
 * A consecutive-failure breaker over a whole upstream. Open -> half-open is lazy (checked on admission), so an idle
 * upstream needs no timer.
 */
export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #failures = 0;
  #openUntil = 0;
  #probes = 0;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly onChange: (state: CircuitState) => void,
  ) {}

  state(now: number): CircuitState {
    if (this.#state === 'open' && now >= this.#openUntil) this.#transition('half-open');
    return this.#state;
  }

  /** Milliseconds until an open circuit lets a probe through (Retry-After). */
  retryAfterMs(now: number): number {
    return this.#state === 'open' ? Math.max(0, this.#openUntil - now) : 0;
  }

  admit(now: number): Admission {
    const state = this.state(now);
    if (state === 'closed') return ADMITTED;
    if (state === 'half-open' && this.#probes < this.settings.halfOpenRequests) {
      this.#probes++;
      return PROBE;
    }
    return REJECTED;
  }

  success(admission: Admission): void {
    if (this.#state === 'closed') this.#failures = 0;
    else if (admission === PROBE && this.#state === 'half-open') this.#transition('closed');
  }

  failure(admission: Admission, now: number): void {
    if (this.#state === 'closed') {
      if (++this.#failures >= this.settings.failureThreshold) this.#open(now);
    } else if (admission === PROBE && this.#state === 'half-open') {
      this.#open(now);
    }
  }

  /** The exchange ended without a verdict on the upstream (client went away): frees its probe slot. */
  abandon(admission: Admission): void {
    if (admission === PROBE && this.#state === 'half-open' && this.#probes > 0) this.#probes--;
  }

  #open(now: number): void {
    this.#openUntil = now + this.settings.openMs;
    this.#transition('open');
  }

  #transition(state: CircuitState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#failures = 0;
    this.#probes = 0;
    this.onChange(state);
  }
}
