/**
 * One delivery of a request to an API's upstream: the retry loop. It picks a target it has not tried, starts an
 * attempt, and judges each attempt's outcome (accept, keep a retryable answer, retry, give up), feeding passive
 * health and the breaker; it tells its receiver once. `Upstream.deliver` only sets it up: callers never see it.
 */
import { GatewayError } from '@gatehouse/core';
import { type AttemptOutcome, UpstreamAttempt } from './attempt.js';
import type { Admission, CircuitBreaker } from './circuit-breaker.js';
import { classifyUpstreamError, toGatewayError } from './errors.js';
import type { UpstreamHealth } from './health-registry.js';
import type { UpstreamSettings } from './settings.js';
import type { TargetState } from './target.js';
import type { UpstreamReceiver, UpstreamRequest, UpstreamResponse } from './types.js';

/** What every delivery of one Upstream shares (built once per Upstream). */
export interface DeliveryScope {
  readonly health: UpstreamHealth;
  readonly settings: UpstreamSettings;
}

export class Delivery implements AttemptOutcome {
  #attempts = 0;
  #tried: TargetState[] | undefined = undefined;
  #failure: GatewayError | undefined = undefined;
  #failedResponse: UpstreamResponse | undefined = undefined;

  constructor(
    private readonly scope: DeliveryScope,
    private readonly request: UpstreamRequest,
    private readonly receiver: UpstreamReceiver,
    private readonly dynamic: TargetState | undefined,
    private readonly breaker: CircuitBreaker | undefined,
    private readonly admission: Admission,
    private readonly maxAttempts: number,
    private readonly failOnStatus: readonly number[],
    private readonly headersTimeoutMs: number,
  ) {}

  /** Starts the next attempt on a target this delivery has not tried, or settles it when none is left. */
  attempt(): void {
    const { health, settings } = this.scope;
    const target =
      this.#attempts < this.maxAttempts ? (this.dynamic ?? health.balancer.pick(Date.now(), this.#tried)) : undefined;
    if (target === undefined) {
      this.#exhausted();
      return;
    }
    this.#attempts++;
    if (this.#failedResponse !== undefined) discard(this.#failedResponse.body);
    this.#failedResponse = undefined;
    const request = this.request;
    if (!settings.preserveHost) request.headers.host = target.host;
    const attempt = new UpstreamAttempt(target, this.#attempts, request.signal, this.headersTimeoutMs, this);
    target.inFlight++;
    target.pool.dispatch(
      {
        method: request.method,
        path: target.prefix === '' ? request.path : target.prefix + request.path,
        headers: request.headers,
        body: request.body,
        headersTimeout: 0, // the attempt's own, precise timer
        bodyTimeout: settings.idleTimeoutMs,
        upgrade: request.upgrade ?? null,
      },
      attempt,
    );
  }

  /** An attempt got response headers: accept them, or (a retryable status) keep them in case nothing better comes. */
  answered(attempt: UpstreamAttempt, response: UpstreamResponse): void {
    const target = attempt.target;
    if (this.failOnStatus.length === 0 || !this.failOnStatus.includes(response.statusCode)) {
      if (!target.dynamic) this.scope.health.recordSuccess(target);
      this.breaker?.success(this.admission);
      this.#resolve(response);
      return;
    }
    this.#targetFailed(target, 'status');
    this.#failedResponse = response;
    this.#retry(target);
  }

  /** An attempt failed before any response headers. */
  failed(attempt: UpstreamAttempt, error: Error): void {
    // Our own error: the client's upload failed (too slow, or gone) while it streamed to the target.
    if (error instanceof GatewayError) {
      this.breaker?.abandon(this.admission);
      this.#reject(error);
      return;
    }
    const kind = classifyUpstreamError(error);
    const aborted = this.request.signal?.aborted === true;
    // A target that gives up on a client still uploading (its own body timeout, a reset) did nothing wrong.
    const clientsFault = kind !== 'connect' && this.waitingForClient();
    if (aborted || kind === 'request' || clientsFault) {
      this.breaker?.abandon(this.admission);
      this.#reject(aborted ? clientClosed(error) : toGatewayError(kind, error));
      return;
    }
    const target = attempt.target;
    this.#targetFailed(target, kind);
    this.#failure = toGatewayError(kind, error);
    this.#retry(target);
  }

  /** An attempt is over, whatever its outcome: in-flight accounting, and failures after the headers. */
  ended(attempt: UpstreamAttempt, error: Error | undefined): void {
    const target = attempt.target;
    target.inFlight--;
    // Failures before the headers are judged by failed(); this is a stall or reset mid-body. A GatewayError is the
    // client's upload failing (its idle timeout), not the target.
    if (error !== undefined && attempt.bodyError !== undefined && !target.dynamic && !(error instanceof GatewayError)) {
      const kind = classifyUpstreamError(error);
      if (kind !== 'request') this.scope.health.recordFailure(target, kind, Date.now());
    }
  }

  waitingForClient(): boolean {
    return this.request.clientUploading?.() === true;
  }

  #retry(target: TargetState): void {
    if (this.#tried === undefined) this.#tried = [target];
    else this.#tried.push(target);
    // Outside undici's callback that reported the failure: dispatching from inside it would re-enter the client.
    queueMicrotask(() => this.attempt());
  }

  /** Out of attempts (or targets): the last upstream answer beats a gateway error. */
  #exhausted(): void {
    if (this.#failedResponse !== undefined) {
      this.breaker?.failure(this.admission, Date.now());
      this.#resolve(this.#failedResponse);
    } else if (this.#failure !== undefined) {
      this.breaker?.failure(this.admission, Date.now());
      this.#reject(this.#failure);
    } else {
      this.breaker?.abandon(this.admission);
      this.#reject(new GatewayError('no_healthy_target'));
    }
  }

  #targetFailed(target: TargetState, kind: 'connect' | 'timeout' | 'reset' | 'status'): void {
    const health = this.scope.health;
    if (target.dynamic) health.observer?.onUpstreamError?.(health.apiId, target.origin, kind);
    else health.recordFailure(target, kind, Date.now());
  }

  /**
   * Deferred to after the current I/O callback: undici reports headers while still parsing the chunk that usually
   * holds the whole small body too, and the receiver wants to find that body complete (one write, no stream).
   */
  #resolve(response: UpstreamResponse): void {
    process.nextTick(reportAnswer, this.receiver, response);
  }

  #reject(error: unknown): void {
    process.nextTick(reportFailure, this.receiver, error);
  }
}

function reportAnswer(receiver: UpstreamReceiver, response: UpstreamResponse): void {
  receiver.upstreamAnswered(response);
}

export function reportFailure(receiver: UpstreamReceiver, error: unknown): void {
  receiver.upstreamFailed(error);
}

function discard(body: NodeJS.ReadableStream & { destroyed?: boolean }): void {
  // Drained rather than destroyed so the keep-alive connection survives; errors have no one else to go to.
  body.on('error', () => {});
  body.resume();
}

function clientClosed(cause: unknown): GatewayError {
  // Nobody reads this answer; 499 (nginx's "client closed request") keeps access logs honest.
  return new GatewayError('upstream_unavailable', { status: 499, detail: 'The client closed the request', cause });
}
