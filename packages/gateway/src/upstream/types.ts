import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

/** Per-request settings policies may change before the upstream call (mirrors the policy SDK's UpstreamOverrides). */
export interface UpstreamRequestOverrides {
  /** Absolute base URL (dynamic routing): sent there instead of balancing over the configured targets. */
  targetUrl?: string;
  responseTimeoutMs?: number;
  /** Extra attempts for this request, replacing `retries.attempts`. */
  retries?: number;
  /** Statuses retried for this request, replacing `retries.onStatus`. */
  retryOnStatus?: readonly number[];
}

export interface UpstreamRequest {
  method: string;
  /** Path + query to send, already rewritten, e.g. `/items?x=1`; joined with the target URL's own path prefix. */
  path: string;
  /** Already hop-by-hop-cleaned with X-Forwarded-* set. `host` is overwritten with the target's unless preserveHost. */
  headers: Record<string, string | string[]>;
  /** A Readable is the client request stream: it cannot be replayed, so such requests are never retried. */
  body: Readable | Buffer | null;
  /** Aborted when the client went away: the upstream exchange is aborted too. */
  signal?: AbortSignal;
  overrides?: UpstreamRequestOverrides;
  /**
   * Protocol the client asked to switch to (`websocket`): the request is offered to the upstream as an upgrade,
   * never retried. An upstream that declines answers an ordinary response (RFC 9110 7.8 lets it ignore Upgrade).
   */
  upgrade?: string;
  /**
   * For a body streaming from the client: true while the client is still sending it. Until then a timeout or reset
   * is the client's slowness, not the target's: no health failure, and the response deadline waits.
   */
  clientUploading?: (() => boolean) | undefined;
}

export interface UpstreamResponse {
  statusCode: number;
  /** Raw upstream response headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  /** The same as received, [name, value, ...], when available (cheaper when nobody needs the object). */
  readonly rawHeaders?: readonly Buffer[];
  /** Streamed (created on first access). Destroying it aborts the upstream exchange. */
  readonly body: Readable;
  /**
   * The whole body if the upstream already finished sending and `body` was never touched (small
   * responses usually arrive with their headers); undefined otherwise, then read `body`.
   */
  takeComplete?(): Buffer | undefined;
  /** Origin of the target that answered. */
  target: string;
  attempts: number;
  /** The upgraded connection, when the upstream accepted an upgrade (status 101); the body is then empty. */
  readonly socket?: Socket;
}

/** Told once how a delivery ended (Upstream.deliver); called outside undici's callbacks. */
export interface UpstreamReceiver {
  upstreamAnswered(response: UpstreamResponse): void;
  /** A GatewayError for the client, or an unexpected error. */
  upstreamFailed(error: unknown): void;
}

export type UpstreamErrorKind = 'connect' | 'timeout' | 'reset' | 'status';
export type TargetHealthState = 'healthy' | 'ejected' | 'unhealthy';
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Metrics hooks the gateway plugs in (the prom-client counters live in the gateway). */
export interface UpstreamObserver {
  onUpstreamError?(apiId: string, target: string, kind: UpstreamErrorKind): void;
  onTargetStateChange?(apiId: string, target: string, state: TargetHealthState): void;
  onCircuitStateChange?(apiId: string, state: CircuitState): void;
}

export interface UpstreamStateSnapshot {
  circuit: CircuitState;
  targets: Array<{ url: string; healthy: boolean; ejectedUntil?: number; inFlight: number }>;
}
