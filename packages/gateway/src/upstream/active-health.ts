import type { ActiveCheckSettings } from './settings.js';
import type { TargetState } from './target.js';

/**
 * Probes every target on a timer. Rounds never overlap (the next one is scheduled when the previous finished) and
 * the timers are unref'd so they never keep the process alive.
 */
export class ActiveHealthChecker {
  #timer: NodeJS.Timeout | undefined;
  /** Aborts the probes of the round in flight: on its timeout, or on stop(). */
  #round: AbortController | undefined;
  #stopped = false;

  constructor(
    private readonly targets: readonly TargetState[],
    private readonly settings: ActiveCheckSettings,
    private readonly onResult: (target: TargetState, healthy: boolean) => void,
  ) {}

  start(): void {
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#round?.abort();
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#probeAll(), delayMs);
    this.#timer.unref();
  }

  async #probeAll(): Promise<void> {
    // One controller and timer per round rather than per probe; long-lived AbortSignal.any() chains are avoided.
    const round = new AbortController();
    this.#round = round;
    const deadline = setTimeout(() => round.abort(), this.settings.timeoutMs);
    deadline.unref();
    await Promise.all(this.targets.map((target) => this.#probe(target, round.signal)));
    clearTimeout(deadline);
    this.#schedule(this.settings.intervalMs);
  }

  async #probe(target: TargetState, signal: AbortSignal): Promise<void> {
    const { timeoutMs, expectStatus } = this.settings;
    let healthy: boolean;
    try {
      const response = await target.pool.request({
        method: 'GET',
        path: target.prefix + this.settings.path,
        headers: { host: target.host, 'user-agent': 'gatehouse-health-check' },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal,
      });
      await response.body.dump();
      const status = response.statusCode;
      healthy = expectStatus ? expectStatus.includes(status) : status >= 200 && status < 400;
    } catch {
      healthy = false;
    }
    // A probe cut short by stop() says nothing about the target.
    if (!this.#stopped) this.onResult(target, healthy);
  }
}
