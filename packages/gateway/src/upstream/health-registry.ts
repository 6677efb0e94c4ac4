import type { Upstream as UpstreamConfig } from '@gatehouse/config';
import type { Logger } from '@gatehouse/core';
import { ActiveHealthChecker } from './active-health.js';
import { type Balancer, createBalancer } from './balancer.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { PoolManager } from './pool-manager.js';
import { resolveSettings, stableStringify, type UpstreamSettings } from './settings.js';
import { parseTarget, TargetState } from './target.js';
import type { UpstreamErrorKind, UpstreamObserver } from './types.js';

export interface HealthOwner {
  logger?: Logger | undefined;
  observer?: UpstreamObserver | undefined;
}

/**
 * Keeps each upstream's targets, health verdicts and breaker alive across config versions: an Upstream built from an
 * unchanged config (same API, same upstream block) gets the state its predecessor built up, instead of re-learning
 * that a target is down. State is dropped when the last Upstream using it closes.
 */
export class HealthRegistry {
  readonly #entries = new Map<string, UpstreamHealth>();
  static #nextPoolsId = 1;
  readonly #poolsIds = new WeakMap<PoolManager, number>();

  acquire(apiId: string, config: UpstreamConfig, pools: PoolManager, owner: HealthOwner): UpstreamHealth {
    const key = `${this.#poolsId(pools)}\u0000${apiId}\u0000${stableStringify(config)}`;
    let health = this.#entries.get(key);
    if (!health) {
      health = new UpstreamHealth(apiId, resolveSettings(config), config, pools, () => this.#entries.delete(key));
      this.#entries.set(key, health);
    }
    health.retain(owner);
    return health;
  }

  #poolsId(pools: PoolManager): number {
    let id = this.#poolsIds.get(pools);
    if (id === undefined) {
      id = HealthRegistry.#nextPoolsId++;
      this.#poolsIds.set(pools, id);
    }
    return id;
  }
}

/** The shared live state of one API's upstream: targets with their pools, balancer, breaker, active checks. */
export class UpstreamHealth {
  readonly targets: readonly TargetState[];
  readonly balancer: Balancer<TargetState>;
  readonly breaker: CircuitBreaker | undefined;
  /** The newest owner's logger and observer: the gateway of the current config version. */
  logger: Logger | undefined;
  observer: UpstreamObserver | undefined;
  #refs = 0;
  readonly #checker: ActiveHealthChecker | undefined;

  constructor(
    readonly apiId: string,
    readonly settings: UpstreamSettings,
    config: UpstreamConfig,
    private readonly pools: PoolManager,
    private readonly onDisposed: () => void,
  ) {
    this.targets = config.targets.map((target) => {
      const address = parseTarget(target.url);
      return new TargetState(address, target.weight ?? 1, pools.acquire(address.origin, settings.pool));
    });
    this.balancer = createBalancer(settings.balancing, this.targets, this.isAvailable);
    this.breaker = settings.breaker && new CircuitBreaker(settings.breaker, (state) => this.#circuitChanged(state));
    if (settings.active) {
      this.#checker = new ActiveHealthChecker(this.targets, settings.active, (target, ok) => this.#probed(target, ok));
      this.#checker.start();
    }
  }

  retain(owner: HealthOwner): void {
    this.#refs++;
    this.logger = owner.logger;
    this.observer = owner.observer;
  }

  release(): void {
    if (--this.#refs > 0) return;
    this.#checker?.stop();
    for (const target of this.targets) this.pools.release(target.lease);
    this.onDisposed();
  }

  /** Whether the balancer may choose the target; brings a target back once its ejection cooldown is over. */
  readonly isAvailable = (target: TargetState, now: number): boolean => {
    if (!target.activeHealthy) return false;
    if (target.ejectedUntil !== 0) {
      if (now < target.ejectedUntil) return false;
      target.ejectedUntil = 0;
      target.consecutiveFailures = 0;
      this.#targetChanged(target, 'healthy');
    }
    return true;
  };

  recordSuccess(target: TargetState): void {
    target.consecutiveFailures = 0;
  }

  recordFailure(target: TargetState, kind: UpstreamErrorKind, now: number): void {
    this.observer?.onUpstreamError?.(this.apiId, target.origin, kind);
    const passive = this.settings.passive;
    if (passive === undefined || target.ejectedUntil !== 0) return;
    if (++target.consecutiveFailures >= passive.failures) {
      target.ejectedUntil = now + passive.cooldownMs;
      this.logger?.warn(
        { apiId: this.apiId, target: target.url, failures: target.consecutiveFailures, cooldownMs: passive.cooldownMs },
        'upstream target ejected',
      );
      this.#targetChanged(target, 'ejected');
    }
  }

  #probed(target: TargetState, ok: boolean): void {
    const active = this.settings.active!;
    if (ok) {
      target.probeStreak = target.probeStreak > 0 ? target.probeStreak + 1 : 1;
      if (!target.activeHealthy && target.probeStreak >= active.healthyThreshold) {
        target.activeHealthy = true;
        this.logger?.info({ apiId: this.apiId, target: target.url }, 'upstream target healthy again');
        this.#targetChanged(target, 'healthy');
      }
    } else {
      target.probeStreak = target.probeStreak < 0 ? target.probeStreak - 1 : -1;
      if (target.activeHealthy && -target.probeStreak >= active.unhealthyThreshold) {
        target.activeHealthy = false;
        this.logger?.warn({ apiId: this.apiId, target: target.url }, 'upstream target failed its health checks');
        this.#targetChanged(target, 'unhealthy');
      }
    }
  }

  #targetChanged(target: TargetState, state: 'healthy' | 'ejected' | 'unhealthy'): void {
    this.observer?.onTargetStateChange?.(this.apiId, target.origin, state);
  }

  #circuitChanged(state: 'closed' | 'open' | 'half-open'): void {
    this.logger?.[state === 'open' ? 'warn' : 'info'](
      { apiId: this.apiId, circuit: state },
      'upstream circuit changed',
    );
    this.observer?.onCircuitStateChange?.(this.apiId, state);
  }
}
