/** What goes upstream for a client exchange: forwardable headers plus X-Forwarded-*, the request id and tracing. */

import type { TimedBody } from './client-body.js';
import type { GatewayRuntimeSettings } from './compile.js';
import type { GatewayContext } from './context.js';
import { nextTraceparent, setForwardedHeaders } from './headers.js';
import type { UpstreamRequest } from './upstream/index.js';

/** The exchange's identifiers; `traceId` is set here, from the traceparent sent upstream. */
export interface ExchangeIds {
  readonly requestId: string;
  /** Set with a generated request id (same draw); the request id then also names a new trace. */
  readonly spanId: string | undefined;
  traceId: string | undefined;
}

export function buildUpstreamRequest(
  ctx: GatewayContext,
  stream: TimedBody | null,
  settings: GatewayRuntimeSettings,
  ids: ExchangeIds,
  upgrade: string | undefined,
): UpstreamRequest {
  const request = ctx.request;
  const headers = request.headers;
  setForwardedHeaders(headers, request.peer, request.protocol, request.host, request.viaTrustedProxy);
  headers[settings.requestIdHeader] = ids.requestId;
  const trace = nextTraceparent(
    headers.traceparent as string | undefined,
    ids.spanId === undefined ? undefined : ids.requestId,
    ids.spanId,
  );
  headers.traceparent = trace.header;
  ids.traceId = trace.traceId;
  return {
    method: request.method,
    path: request.rawQuery ? `${request.path}?${request.rawQuery}` : request.path,
    headers: headers as Record<string, string | string[]>,
    body: request.bufferedBody ?? stream,
    clientUploading: stream === null ? undefined : () => !stream.clientDone,
    signal: ctx.upstreamSignal,
    overrides: ctx.upstreamOverrides,
    upgrade,
  };
}
