import type { Socket } from 'node:net';
import type { Upstream as UpstreamConfig } from '@gatehouse/config';
import { GatewayError, type Logger } from '@gatehouse/core';
import type { Dispatcher } from 'undici';
import { type AttemptOutcome, type AttemptTracker, UpstreamAttempt } from './attempt.js';
import { ADMITTED, type Admission, type CircuitBreaker, REJECTED } from './circuit-breaker.js';
import { classifyUpstreamError, toGatewayError } from './errors.js';
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

function discard(body: NodeJS.ReadableStream & { destroyed?: boolean }): void {
  // Drained rather than destroyed so the keep-alive connection survives; errors have no one else to go to.
  body.on('error', () => {});
  body.resume();
}

/** One API's upstream for one config version: chooses a target, forwards, retries, and feeds health and breaker. */
export class Upstream {
  readonly #health: UpstreamHealth;
  readonly #settings: UpstreamSettings;
  readonly #pools: PoolManager;
  readonly #dynamic = new Map<string, TargetState>();
  readonly #tracker: AttemptTracker;
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
    const health = this.#health;
    this.#tracker = {
      ended(attempt, error) {
        const target = attempt.target;
        target.inFlight--;
        // Failures before the headers are judged by send(); this is a stall or reset mid-body. A GatewayError is
        // the client's upload failing (its idle timeout), not the target.
        if (
          error !== undefined &&
          attempt.bodyError !== undefined &&
          !target.dynamic &&
          !(error instanceof GatewayError)
        ) {
          const kind = classifyUpstreamError(error);
          if (kind !== 'request') health.recordFailure(target, kind, Date.now());
        }
      },
    };
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
        this,
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
    this.attempt(delivery);
  }

  /** Starts the next attempt of a delivery on a target it has not tried, or settles it when none is left. (Internal.) */
  attempt(d: Delivery): void {
    const target =
      d.attempts < d.maxAttempts ? (d.dynamic ?? this.#health.balancer.pick(Date.now(), d.tried)) : undefined;
    if (target === undefined) {
      this.#exhausted(d);
      return;
    }
    d.attempts++;
    if (d.failedResponse !== undefined) discard(d.failedResponse.body);
    d.failedResponse = undefined;
    const request = d.request;
    if (!this.#settings.preserveHost) request.headers.host = target.host;
    const attempt = new UpstreamAttempt(target, d.attempts, request.signal, this.#tracker, d.headersTimeoutMs, d);
    target.inFlight++;
    target.pool.dispatch(
      {
        method: request.method,
        path: target.prefix === '' ? request.path : target.prefix + request.path,
        headers: request.headers,
        body: request.body,
        headersTimeout: 0, // the attempt's own, precise timer
        bodyTimeout: this.#settings.idleTimeoutMs,
        upgrade: request.upgrade ?? null,
      },
      attempt,
    );
  }

  /** An attempt got response headers: accept them, or (a retryable status) keep them in case nothing better comes. (Delivery's callback.) */
  answered(d: Delivery, attempt: UpstreamAttempt, response: UpstreamResponse): void {
    const target = attempt.target;
    if (d.failOnStatus.length === 0 || !d.failOnStatus.includes(response.statusCode)) {
      if (!target.dynamic) this.#health.recordSuccess(target);
      d.breaker?.success(d.admission);
      d.resolve(response);
      return;
    }
    this.#failed(target, 'status');
    d.failedResponse = response;
    d.tried = remember(d.tried, target);
    this.#retry(d);
  }

  /** An attempt failed before any response headers. (Delivery's callback.) */
  failed(d: Delivery, attempt: UpstreamAttempt, error: Error): void {
    // Our own error: the client's upload failed (too slow, or gone) while it streamed to the target.
    if (error instanceof GatewayError) {
      d.breaker?.abandon(d.admission);
      d.reject(error);
      return;
    }
    const kind = classifyUpstreamError(error);
    const aborted = d.request.signal?.aborted === true;
    // A target that gives up on a client still uploading (its own body timeout, a reset) did nothing wrong.
    const clientsFault = kind !== 'connect' && d.request.clientUploading?.() === true;
    if (aborted || kind === 'request' || clientsFault) {
      d.breaker?.abandon(d.admission);
      d.reject(aborted ? clientClosed(error) : toGatewayError(kind, error));
      return;
    }
    const target = attempt.target;
    this.#failed(target, kind);
    d.failure = toGatewayError(kind, error);
    d.tried = remember(d.tried, target);
    this.#retry(d);
  }

  #retry(d: Delivery): void {
    // Outside undici's callback that reported the failure: dispatching from inside it would re-enter the client.
    queueMicrotask(() => this.attempt(d));
  }

  /** Out of attempts (or targets): the last upstream answer beats a gateway error. */
  #exhausted(d: Delivery): void {
    if (d.failedResponse !== undefined) {
      d.breaker?.failure(d.admission, Date.now());
      d.resolve(d.failedResponse);
    } else if (d.failure !== undefined) {
      d.breaker?.failure(d.admission, Date.now());
      d.reject(d.failure);
    } else {
      d.breaker?.abandon(d.admission);
      d.reject(new GatewayError('no_healthy_target'));
    }
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

  #failed(target: TargetState, kind: 'connect' | 'timeout' | 'reset' | 'status'): void {
    if (target.dynamic) this.#health.observer?.onUpstreamError?.(this.apiId, target.origin, kind);
    else this.#health.recordFailure(target, kind, Date.now());
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

/**
 * One delivery: its settings and the attempts so far. It is the attempts' outcome listener, so an answer reaches
 * the receiver from undici's callback with one deferral and nothing else in between.
 */
class Delivery implements AttemptOutcome {
  attempts = 0;
  tried: TargetState[] | undefined = undefined;
  failure: GatewayError | undefined = undefined;
  failedResponse: UpstreamResponse | undefined = undefined;

  constructor(
    private readonly upstream: Upstream,
    readonly request: UpstreamRequest,
    private readonly receiver: UpstreamReceiver,
    readonly dynamic: TargetState | undefined,
    readonly breaker: CircuitBreaker | undefined,
    readonly admission: Admission,
    readonly maxAttempts: number,
    readonly failOnStatus: readonly number[],
    readonly headersTimeoutMs: number,
  ) {}

  /**
   * Deferred to after the current I/O callback: undici reports headers while still parsing the chunk that usually
   * holds the whole small body too, and the receiver wants to find that body complete (one write, no stream).
   */
  resolve(response: UpstreamResponse): void {
    process.nextTick(reportAnswer, this.receiver, response);
  }

  reject(error: unknown): void {
    process.nextTick(reportFailure, this.receiver, error);
  }

  answered(attempt: UpstreamAttempt, response: UpstreamResponse): void {
    this.upstream.answered(this, attempt, response);
  }

  failed(attempt: UpstreamAttempt, error: Error): void {
    this.upstream.failed(this, attempt, error);
  }

  waitingForClient(): boolean {
    return this.request.clientUploading?.() === true;
  }
}

function reportAnswer(receiver: UpstreamReceiver, response: UpstreamResponse): void {
  receiver.upstreamAnswered(response);
}

function reportFailure(receiver: UpstreamReceiver, error: unknown): void {
  receiver.upstreamFailed(error);
}

/** Targets this request already tried; allocated only once a retry happens. */
function remember(tried: TargetState[] | undefined, target: TargetState): TargetState[] {
  if (tried === undefined) return [target];
  tried.push(target);
  return tried;
}

function clientClosed(cause: unknown): GatewayError {
  // Nobody reads this answer; 499 (nginx's "client closed request") keeps access logs honest.
  return new GatewayError('upstream_unavailable', { status: 499, detail: 'The client closed the request', cause });
}
