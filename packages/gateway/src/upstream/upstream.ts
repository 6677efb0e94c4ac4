import type { Upstream as UpstreamConfig } from '@gatehouse/config';
import { GatewayError, type Logger } from '@gatehouse/core';
import { ADMITTED, type Admission, type CircuitBreaker, REJECTED } from './circuit-breaker.js';
import { Delivery, type DeliveryScope, reportFailure } from './delivery.js';
import type { HealthRegistry, UpstreamHealth } from './health-registry.js';
import type { PoolManager } from './pool-manager.js';
import type { UpstreamSettings } from './settings.js';
import { parseTarget, TargetState } from './target.js';
import type {
  UpstreamObserver,
  UpstreamReceiver,
  UpstreamRequest,
  UpstreamResponse,
  UpstreamStateSnapshot,
} from './types.js';

export interface UpstreamOptions {
  logger?: Logger;
  observer?: UpstreamObserver;
  /** Where health and breaker state live across config versions; defaults to the pool manager's registry. */
  health?: HealthRegistry;
}

/** Methods safe to send twice (RFC 9110 idempotent, minus TRACE which a gateway never forwards). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
/** Dynamic (overrides.targetUrl) targets kept per Upstream; beyond that the oldest pool references are dropped. */
const MAX_DYNAMIC_TARGETS = 64;

/** One API's upstream for one config version: chooses a target, forwards, retries, and feeds health and breaker. */
export class Upstream {
  readonly #health: UpstreamHealth;
  readonly #settings: UpstreamSettings;
  readonly #pools: PoolManager;
  readonly #dynamic = new Map<string, TargetState>();
  readonly #scope: DeliveryScope;
  #closed = false;

  constructor(
    readonly apiId: string,
    config: UpstreamConfig,
    pools: PoolManager,
    options: UpstreamOptions = {},
  ) {
    this.#pools = pools;
    this.#health = (options.health ?? pools.health).acquire(apiId, config, pools, options);
    this.#settings = this.#health.settings;
    this.#scope = { health: this.#health, settings: this.#settings };
  }

  /** Sends the request; resolves when the response headers arrive, the body streams afterwards. */
  send(request: UpstreamRequest): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) =>
      this.deliver(request, { upstreamAnswered: resolve, upstreamFailed: reject }),
    );
  }

  /**
   * Sends the request and tells `receiver` once: when the response headers arrived, or why none will. The proxy
   * path uses this rather than send(): no promise, no resolve/reject closures, no async frame to resume.
   */
  deliver(request: UpstreamRequest, receiver: UpstreamReceiver): void {
    const overrides = request.overrides;
    let delivery: Delivery;
    try {
      const dynamic = overrides?.targetUrl === undefined ? undefined : this.#dynamicTarget(overrides.targetUrl);
      // Dynamic targets are outside this upstream's rotation: they neither feed nor obey its health and breaker.
      const breaker = dynamic === undefined ? this.#health.breaker : undefined;
      const admission = breaker === undefined ? ADMITTED : this.#admit(breaker);
      const replayable = request.upgrade === undefined && (request.body === null || Buffer.isBuffer(request.body));
      const maxAttempts =
        replayable && IDEMPOTENT.has(request.method) ? 1 + (overrides?.retries ?? this.#settings.retryAttempts) : 1;
      delivery = new Delivery(
        this.#scope,
        request,
        receiver,
        dynamic,
        breaker,
        admission,
        maxAttempts,
        overrides?.retryOnStatus ?? this.#settings.retryOnStatus,
        overrides?.responseTimeoutMs ?? this.#settings.responseTimeoutMs,
      );
    } catch (error) {
      process.nextTick(reportFailure, receiver, error);
      return;
    }
    delivery.attempt();
  }

  state(): UpstreamStateSnapshot {
    const now = Date.now();
    const health = this.#health;
    return {
      circuit: health.breaker?.state(now) ?? 'closed',
      targets: health.targets.map((target) => {
        const healthy = health.isAvailable(target, now);
        return {
          url: target.url,
          healthy,
          ...(target.ejectedUntil !== 0 && { ejectedUntil: target.ejectedUntil }),
          inFlight: target.inFlight,
        };
      }),
    };
  }

  /** Gives back health state and pool references; shared pools close later in PoolManager.collect(). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#health.release();
    for (const target of this.#dynamic.values()) this.#pools.release(target.lease);
    this.#dynamic.clear();
  }

  #admit(breaker: CircuitBreaker): Admission {
    const now = Date.now();
    const admission = breaker.admit(now);
    if (admission === REJECTED) {
      const retryAfter = Math.max(1, Math.ceil(breaker.retryAfterMs(now) / 1000));
      throw new GatewayError('circuit_open', { headers: { 'retry-after': String(retryAfter) } });
    }
    return admission;
  }

  #dynamicTarget(url: string): TargetState {
    let target = this.#dynamic.get(url);
    if (target !== undefined) return target;
    if (this.#closed) throw new GatewayError('service_unavailable', { detail: 'Upstream closed' });
    let address: ReturnType<typeof parseTarget>;
    try {
      address = parseTarget(url);
    } catch (cause) {
      throw new GatewayError('policy_error', {
        detail: 'The dynamic upstream target is not a valid http(s) URL',
        cause,
      });
    }
    if (this.#dynamic.size >= MAX_DYNAMIC_TARGETS) {
      const [oldestUrl, oldest] = this.#dynamic.entries().next().value!;
      this.#dynamic.delete(oldestUrl);
      this.#pools.release(oldest.lease);
    }
    target = new TargetState(address, 1, this.#pools.acquire(address.origin, this.#settings.pool), true);
    this.#dynamic.set(url, target);
    return target;
  }
}
