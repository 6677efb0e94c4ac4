/**
 * The end of a client exchange, once its connection closed (finished or aborted): stop what the client no longer
 * waits for, count the request, run finishers and the log phase, and hand the record to the access log and analytics.
 */
import type { TimedBody } from './client-body.js';
import type { CompiledApi, CompiledConfig, PhaseLists } from './compile.js';
import type { ClientRequest, GatewayContext } from './context.js';
import type { HandlerDependencies } from './handler.js';
import { NO_PLAN } from './metrics.js';
import { buildRequestRecord } from './request-record.js';
import type { ClientResponse } from './response-writer.js';
import { runSteps } from './run-steps.js';

/** What the exchange knows at its end (ClientExchange's own fields, read here). */
export interface EndedExchange {
  readonly req: ClientRequest;
  readonly res: ClientResponse;
  readonly deps: HandlerDependencies;
  readonly config: CompiledConfig;
  readonly requestId: string;
  readonly startedAt: number;
  readonly bytesWrittenAtStart: number;
  readonly ctx: GatewayContext | undefined;
  readonly api: CompiledApi | undefined;
  readonly lists: PhaseLists | undefined;
  readonly upload: TimedBody | undefined;
  readonly traceId: string | undefined;
  readonly errorCode: string | undefined;
  readonly status: number;
}

export function endExchange(exchange: EndedExchange): void {
  const { ctx, res, deps } = exchange;
  const aborted = !res.writableFinished && exchange.status !== 101;
  // The client left before the response was out: stop the upstream exchange too.
  if (aborted) ctx?.abort();
  // An upload nobody will read any more (the upstream answered or failed early) must not hold its slot.
  if (exchange.upload !== undefined && !exchange.upload.destroyed) exchange.upload.destroy();
  const status = exchange.status || (aborted ? 499 : res.statusCode);
  const latencyMs = performance.now() - exchange.startedAt;
  const upstreamMs = ctx?.upstreamLatencyMs;
  const plan = ctx?.plan?.id ?? NO_PLAN;
  const upstreamSeconds = upstreamMs === undefined ? undefined : upstreamMs / 1000;
  // The series bound at compile for the lists that served the request; looked up only when there are none.
  const series = exchange.lists?.series;
  if (series !== undefined && series.plan === plan)
    deps.metrics.record(series, status, latencyMs / 1000, upstreamSeconds);
  else deps.metrics.countRequest(exchange.api?.id ?? '-', plan, status, latencyMs / 1000, upstreamSeconds);
  if (ctx) runLogPhase(exchange, ctx);
  const { accessLog, onRecord } = deps;
  if (!accessLog && !onRecord) return;
  const record = buildRequestRecord({
    req: exchange.req,
    res,
    ctx,
    requestId: exchange.requestId,
    traceId: exchange.traceId,
    apiId: exchange.api?.id,
    status,
    latencyMs,
    aborted,
    errorCode: exchange.errorCode,
    bytesWrittenAtStart: exchange.bytesWrittenAtStart,
    trustProxy: exchange.config.settings.trustProxy,
  });
  accessLog?.(record);
  onRecord?.(record);
}

function runLogPhase(exchange: EndedExchange, ctx: GatewayContext): void {
  ctx.runFinishers();
  const logSteps = exchange.lists?.log;
  if (!logSteps || logSteps.length === 0) return;
  const { logger } = exchange.deps;
  try {
    runSteps(logSteps, ctx)?.catch((error: unknown) =>
      logger.warn({ err: error, requestId: exchange.requestId }, 'log-phase policy failed'),
    );
  } catch (error) {
    logger.warn({ err: error, requestId: exchange.requestId }, 'log-phase policy failed');
  }
}
