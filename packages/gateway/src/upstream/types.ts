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
}

/** Told once how a delivery ended (Upstream.deliver); called outside undici's callbacks. */
export interface UpstreamReceiver {
  upstreamAnswered(response: UpstreamResponse): void;
  /** A GatewayError for the client, or an unexpected error. */
  upstreamFailed(error: unknown): void;
}

export interface UpgradeRequest extends UpstreamRequest {
  /** Value of the Upgrade header, e.g. `websocket`. */
  protocol: string;
}

export interface UpgradeResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  socket: Socket;
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
