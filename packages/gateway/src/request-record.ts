/**
 * The access-log / analytics record of one finished request, built when the client connection closes from what
 * the exchange saw. Never carries credentials.
 */
import { clientAddress, type ProxyTrust } from './client-address.js';
import type { ClientRequest, GatewayContext } from './context.js';
import type { ClientResponse } from './response-writer.js';

/** What the access log and analytics receive for each request (never credentials). */
export interface RequestRecord {
  requestId: string;
  traceId: string | undefined;
  time: string;
  method: string;
  path: string;
  api: string | undefined;
  route: string | undefined;
  plan: string | undefined;
  application: string | undefined;
  subscription: string | undefined;
  status: number;
  latencyMs: number;
  upstreamLatencyMs: number | undefined;
  upstreamTarget: string | undefined;
  bytesIn: number;
  bytesOut: number;
  clientIp: string;
  userAgent: string | undefined;
  errorCode: string | undefined;
  aborted: boolean;
}

/** What the exchange knows at its end; only built when someone receives records. */
export interface RecordSource {
  req: ClientRequest;
  res: ClientResponse;
  /** Undefined when the request was answered before a context existed (routing). */
  ctx: GatewayContext | undefined;
  requestId: string;
  traceId: string | undefined;
  apiId: string | undefined;
  status: number;
  latencyMs: number;
  aborted: boolean;
  errorCode: string | undefined;
  /** The socket's bytesWritten when the exchange began (HTTP/1 keep-alive: earlier responses don't count). */
  bytesWrittenAtStart: number;
  trustProxy: ProxyTrust;
}

export function buildRequestRecord(source: RecordSource): RequestRecord {
  const { req, res, ctx, latencyMs } = source;
  const contentLength = Number(req.headers['content-length'] ?? 0);
  return {
    requestId: source.requestId,
    traceId: source.traceId,
    time: new Date(Date.now() - latencyMs).toISOString(),
    method: req.method ?? '',
    path: ctx?.request.originalPath ?? (req.url ?? '').split('?')[0]!,
    api: source.apiId,
    route: ctx?.route?.id,
    plan: ctx?.plan?.id,
    application: ctx?.application?.id,
    subscription: ctx?.subscription?.id,
    status: source.status,
    latencyMs: round(latencyMs),
    upstreamLatencyMs: ctx?.upstreamLatencyMs === undefined ? undefined : round(ctx.upstreamLatencyMs),
    upstreamTarget: ctx?.upstreamTarget,
    bytesIn: ctx?.request.bufferedBody?.length ?? contentLength,
    bytesOut:
      req.httpVersionMajor === 2
        ? Number(res.getHeader('content-length') ?? 0)
        : (req.socket?.bytesWritten ?? 0) - source.bytesWrittenAtStart,
    clientIp: ctx?.request.clientIp ?? clientAddress(req, source.trustProxy),
    userAgent: req.headers['user-agent'],
    errorCode: source.errorCode ?? ctx?.errorCode,
    aborted: source.aborted,
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
