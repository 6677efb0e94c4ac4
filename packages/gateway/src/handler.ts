/**
 * The request path: route -> preSecurity -> security -> request -> upstream -> response -> log.
 * Everything here runs per request; everything that could be decided earlier was (compile.ts).
 */
import type { Duplex, Readable } from 'node:stream';
import { GatewayError, type Logger, PROBLEM_CONTENT_TYPE, toProblem } from '@gatehouse/core';
import { mockAnswer } from '@gatehouse/policies';
import { authenticate } from './authentication.js';
import { forwardedClient, peerAddress, peerTrusted } from './client-address.js';
import { readClientBody, streamClientBody, type TimedBody } from './client-body.js';
import type { CompiledApi, CompiledConfig, CompiledRoute, PhaseLists, Step } from './compile.js';
import type { ConfigHolder, Generation } from './config-holder.js';
import { type ClientRequest, GatewayContext, ProxyRequest } from './context.js';
import { forwardableRequestHeaders, newRequestIds, nextTraceparent, setForwardedHeaders } from './headers.js';
import type { GatewayMetrics } from './metrics.js';
import { buildRequestRecord, type RequestRecord } from './request-record.js';
import { type ClientResponse, sendProblem, writeResponse } from './response-writer.js';
import { routeRequest } from './routing.js';
import { openTunnel, type UpgradeInfo } from './tunnel.js';
import type { UpstreamReceiver, UpstreamRequest, UpstreamResponse } from './upstream/index.js';

export type { RequestRecord } from './request-record.js';
export type { ClientResponse } from './response-writer.js';
export type { UpgradeInfo } from './tunnel.js';

export interface HandlerDependencies {
  holder: ConfigHolder;
  metrics: GatewayMetrics;
  logger: Logger;
  accessLog: ((record: RequestRecord) => void) | undefined;
  /** Extra sinks (analytics shipping in hybrid mode). */
  onRecord?: (record: RequestRecord) => void;
  isShuttingDown: () => boolean;
  /** Established upgrade tunnels (WebSockets), closed at shutdown once HTTP requests drained. */
  tunnels: Set<Duplex>;
  /** Request bodies each client address is streaming upstream right now. */
  uploads: Map<string, number>;
}

const NO_PLAN = '-';

/** The exchange a client response belongs to (one property, set once: no closure per request). */
const EXCHANGE = Symbol('gatehouse.exchange');
type TrackedResponse = ClientResponse & { [EXCHANGE]?: ClientExchange };

/** 'close' listener shared by every response: finishes the exchange the response carries. */
function onResponseClose(this: TrackedResponse): void {
  this[EXCHANGE]?.closed();
}

export function createRequestHandler(deps: HandlerDependencies) {
  const { holder } = deps;

  return function handleRequest(req: ClientRequest, res: ClientResponse, upgrade?: UpgradeInfo): void {
    const startedAt = performance.now();
    const generation = holder.pin();
    if (!generation) {
      sendProblem(res, new GatewayError('gateway_not_ready', { detail: 'no configuration loaded yet' }), undefined);
      return;
    }
    const exchange = new ClientExchange(req, res, generation, deps, startedAt);
    if (upgrade) {
      // An established tunnel no longer uses the config: unpin it so reloads and drains don't wait on it.
      exchange.upgrade = { ...upgrade, established: () => exchange.unpin() };
      upgrade.socket.once('close', () => exchange.closed());
    } else {
      (res as TrackedResponse)[EXCHANGE] = exchange;
      res.on('close', onResponseClose);
    }
    exchange.run();
  };
}

/** One request's trip through the pipeline. */
class ClientExchange implements UpstreamReceiver {
  readonly requestId: string;
  /** Set with a generated request id (same draw); the request id then also names a new trace. */
  private spanId: string | undefined;
  private ctx: GatewayContext | undefined;
  private api: CompiledApi | undefined;
  private route: CompiledRoute | undefined;
  private lists: PhaseLists | undefined;
  private sentAt = 0;
  private traceId: string | undefined;
  private status = 0;
  private errorCode: string | undefined;
  private readonly bytesWrittenAtStart: number;
  upgrade: UpgradeInfo | undefined;
  /** The client's body while it streams upstream; released (and its upload slot) when the exchange ends. */
  private upload: TimedBody | undefined;
  private readonly config: CompiledConfig;
  private pinned = true;

  constructor(
    private readonly req: ClientRequest,
    private readonly res: ClientResponse,
    private readonly generation: Generation,
    private readonly deps: HandlerDependencies,
    private readonly startedAt: number,
  ) {
    const config = generation.config;
    this.config = config;
    const header = req.headers[config.settings.requestIdHeader];
    if (typeof header === 'string' && header.length > 0 && header.length <= 200) this.requestId = header;
    else {
      const ids = newRequestIds();
      this.requestId = ids.requestId;
      this.spanId = ids.spanId;
    }
    // Only records (access log, analytics) report bytes out; the getter walks the socket's write queue.
    const recorded = deps.accessLog !== undefined || deps.onRecord !== undefined;
    this.bytesWrittenAtStart = !recorded || req.httpVersionMajor === 2 ? 0 : (req.socket?.bytesWritten ?? 0);
  }

  /** Gives the config generation back (once): at the end, or when a tunnel is established. */
  unpin(): void {
    if (!this.pinned) return;
    this.pinned = false;
    this.deps.holder.unpin(this.generation);
  }

  /** The client connection for this exchange closed: account for it and let the config go. */
  closed(): void {
    this.finished();
    this.unpin();
  }

  /**
   * Routes the request and starts the pipeline. The phases continue one into the next directly while they finish
   * synchronously (the common case), through a promise only where a policy or scheme really waited: no async frame
   * per request. Nothing escapes: an unexpected failure becomes a 500, or a reset once the response started.
   */
  run(): void {
    let started: boolean;
    try {
      started = this.begin();
    } catch (error) {
      this.crash(error);
      return;
    }
    if (started) this.preSecurityPhase();
  }

  /** Routing and the context; false when the request was already answered (no route, bad target). */
  private begin(): boolean {
    const { req, config } = this;
    const routed = routeRequest(config, req);
    if (!routed.ok) {
      this.api = routed.api;
      this.fail(routed.error);
      return false;
    }
    const { api, route } = routed;
    this.api = api;
    const settings = config.settings;
    const peer = peerAddress(req);
    const viaTrustedProxy = peerTrusted(settings.trustProxy, peer);
    const request = new ProxyRequest({
      raw: req,
      method: req.method!,
      originalPath: routed.pathname,
      path: routed.forwardPath,
      rawQuery: routed.rawQuery,
      headers: forwardableRequestHeaders(req.headers),
      clientIp: viaTrustedProxy ? forwardedClient(req, settings.trustProxy, peer) : peer,
      peer,
      viaTrustedProxy,
      host: routed.host ?? '',
      protocol: (req.socket as { encrypted?: boolean } | null)?.encrypted ? 'https' : 'http',
      maxBodyBuffer: settings.maxBodyBuffer,
    });
    const ctx = new GatewayContext(
      this.requestId,
      request,
      api,
      this.deps.logger,
      this.startedAt,
      settings.maxBodyBuffer,
    );
    ctx.route = route.ref;
    if (routed.params !== undefined) ctx.params = routed.params;
    this.ctx = ctx;
    this.route = route;
    this.lists = route.unauthenticated;
    return true;
  }

  private preSecurityPhase(): void {
    this.runPhase(this.route!.preSecurity, this.securityPhase);
  }

  private securityPhase(): void {
    const ctx = this.ctx!;
    if (ctx.responded) {
      this.responsePhase();
      return;
    }
    let authenticated: string | Promise<string>;
    try {
      authenticated = authenticate(this.api!, ctx);
    } catch (error) {
      this.pipelineFailed(error);
      return;
    }
    if (typeof authenticated === 'string') this.requestPhase(authenticated);
    else
      authenticated.then(
        (planId) => this.requestPhase(planId),
        (error: unknown) => this.pipelineFailed(error),
      );
  }

  private requestPhase(planId: string): void {
    const lists = this.route!.byPlan.get(planId)!;
    this.lists = lists;
    this.runPhase(lists.request, this.upstreamPhase);
  }

  /** Runs a phase's steps, then `next`: directly when they finished synchronously, else once they did. */
  private runPhase(steps: Step[], next: (this: ClientExchange) => void): void {
    try {
      if (steps.length > 0) {
        const pending = runSteps(steps, this.ctx!);
        if (pending !== undefined) {
          pending.then(
            () => next.call(this),
            (error: unknown) => this.pipelineFailed(error),
          );
          return;
        }
      }
    } catch (error) {
      this.pipelineFailed(error);
      return;
    }
    next.call(this);
  }

  private upstreamPhase(): void {
    const ctx = this.ctx!;
    if (ctx.responded) {
      this.responsePhase();
      return;
    }
    const request = ctx.request;
    if (this.api!.mock !== undefined) {
      this.answerMock(ctx);
      return;
    }
    if (request.bufferedBody === undefined && this.upgrade === undefined && request.hasBody) {
      this.receiveBody(request);
      return;
    }
    this.deliver(null);
  }

  /** Mock mode: the answer prepared from the OpenAPI document stands in for the upstream's. */
  private answerMock(ctx: GatewayContext): void {
    try {
      const headers = ctx.request.headers;
      const answer = mockAnswer(
        this.api!.mock!,
        ctx.request.method,
        ctx.request.path,
        headers.accept as string | undefined,
        headers.prefer as string | undefined,
      );
      ctx.respond(answer.status, answer.headers, answer.body);
    } catch (error) {
      this.pipelineFailed(error);
      return;
    }
    this.responsePhase();
  }

  /**
   * The client's body, before any upstream connection is taken: read whole when small, else streamed with the
   * client's own idle timer (and a cap on how many such uploads one client may hold open).
   */
  private receiveBody(request: ProxyRequest): void {
    const settings = this.config.settings;
    const declared = request.headers['content-length'];
    if (declared !== undefined && Number(declared) > settings.requestBodyBuffer) {
      this.streamBody(streamClientBody(this.req as Readable, settings.clientBodyTimeoutMs));
      return;
    }
    readClientBody(this.req as Readable, settings.requestBodyBuffer, settings.clientBodyTimeoutMs, (result) => {
      if (result.kind === 'failed') this.pipelineFailed(result.error);
      else if (result.kind === 'stream') this.streamBody(result.body);
      else {
        request.setBody(result.body);
        this.deliver(null);
      }
    });
  }

  private streamBody(body: TimedBody): void {
    const uploads = this.deps.uploads;
    const client = this.ctx!.request.clientIp;
    const held = uploads.get(client) ?? 0;
    if (held >= this.config.settings.maxStreamingUploadsPerClient) {
      body.destroy();
      this.pipelineFailed(
        new GatewayError('too_many_requests', { detail: 'too many request bodies streaming from this client at once' }),
      );
      return;
    }
    uploads.set(client, held + 1);
    this.upload = body;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const now = (uploads.get(client) ?? 1) - 1;
      if (now === 0) uploads.delete(client);
      else uploads.set(client, now);
    };
    body.once('close', release);
    body.once('end', release);
    this.deliver(body);
  }

  private deliver(body: TimedBody | null): void {
    try {
      this.sentAt = performance.now();
      // Answers through upstreamAnswered / upstreamFailed.
      this.api!.upstream.deliver(this.upstreamRequest(this.ctx!, body), this);
    } catch (error) {
      this.pipelineFailed(error);
    }
  }

  /** The upstream's response headers arrived (UpstreamReceiver). */
  upstreamAnswered(answer: UpstreamResponse): void {
    const ctx = this.ctx!;
    if (answer.socket !== undefined) {
      ctx.upstreamLatencyMs = performance.now() - this.sentAt;
      ctx.upstreamTarget = answer.target;
      if (openTunnel(answer, answer.socket, this.upgrade!, this.requestId, this.deps.tunnels)) this.status = 101;
      return;
    }
    try {
      ctx.upstreamLatencyMs = performance.now() - this.sentAt;
      ctx.upstreamTarget = answer.target;
      const response = ctx.response;
      response.status = answer.statusCode;
      response.setUpstreamHeaders(answer);
      response.setUpstream(answer);
    } catch (error) {
      this.pipelineFailed(error);
      return;
    }
    this.responsePhase();
  }

  /** No upstream answer (UpstreamReceiver): the error becomes the response. */
  upstreamFailed(error: unknown): void {
    this.pipelineFailed(error);
  }

  /** A phase before the response failed: its error becomes the response, which the response phase still sees. */
  private pipelineFailed(error: unknown): void {
    try {
      this.toErrorResponse(error, this.ctx);
    } catch (failure) {
      this.crash(failure);
      return;
    }
    this.responsePhase();
  }

  private responsePhase(): void {
    const ctx = this.ctx!;
    try {
      if (this.lists!.response.length > 0) {
        const pending = this.respond(ctx, this.lists!.response);
        if (pending !== undefined) pending.then(undefined, (error: unknown) => this.crash(error));
      } else this.write(ctx);
    } catch (error) {
      this.crash(error);
    }
  }

  /** Something outside the policies' contract failed: answer 500, or reset a response already under way. */
  private crash(error: unknown): void {
    this.deps.logger.error({ err: error }, 'unhandled error in the request path');
    if (!this.res.headersSent) sendProblem(this.res, new GatewayError('internal_error'), this.requestId);
    else this.res.destroy();
  }

  /** What goes upstream: forwardable headers plus X-Forwarded-*, the request id and the next traceparent. */
  private upstreamRequest(ctx: GatewayContext, stream: TimedBody | null): UpstreamRequest {
    const request = ctx.request;
    const headers = request.headers;
    const settings = this.config.settings;
    setForwardedHeaders(headers, request.peer, request.protocol, request.host, request.viaTrustedProxy);
    headers[settings.requestIdHeader] = this.requestId;
    const trace = nextTraceparent(
      headers.traceparent as string | undefined,
      this.spanId === undefined ? undefined : this.requestId,
      this.spanId,
    );
    headers.traceparent = trace.header;
    this.traceId = trace.traceId;
    return {
      method: request.method,
      path: request.rawQuery ? `${request.path}?${request.rawQuery}` : request.path,
      headers: headers as Record<string, string | string[]>,
      body: request.bufferedBody ?? stream,
      clientUploading: stream === null ? undefined : () => !stream.clientDone,
      signal: ctx.upstreamSignal,
      overrides: ctx.upstreamOverrides,
      upgrade: this.upgrade === undefined ? undefined : String(this.req.headers.upgrade),
    };
  }

  private toErrorResponse(error: unknown, ctx: GatewayContext | undefined): void {
    const gatewayError = error instanceof GatewayError ? error : undefined;
    if (!gatewayError) this.deps.logger.error({ err: error, requestId: this.requestId }, 'policy or proxy failure');
    const doc = toProblem(gatewayError ?? new GatewayError('policy_error'), ctx?.request.originalPath);
    this.errorCode = doc.code;
    if (ctx) {
      ctx.errorCode = doc.code;
      ctx.respond(doc.status, { ...gatewayError?.headers, 'content-type': PROBLEM_CONTENT_TYPE }, JSON.stringify(doc));
    }
  }

  /** Runs the response phase, then writes; synchronous (undefined) when every response policy was. */
  private respond(ctx: GatewayContext, responseSteps: Step[]): Promise<void> | undefined {
    let pending: Promise<void> | undefined;
    try {
      pending = runSteps(responseSteps, ctx, true);
    } catch (error) {
      // A failing response policy turns the answer into a problem; response policies don't run twice.
      this.toErrorResponse(error, ctx);
    }
    if (pending === undefined) {
      this.write(ctx);
      return undefined;
    }
    return pending.then(
      () => this.write(ctx),
      (error: unknown) => {
        this.toErrorResponse(error, ctx);
        this.write(ctx);
      },
    );
  }

  /** Sends the response as it stands (response-writer.ts); invalid headers become a 502 instead. */
  private write(ctx: GatewayContext): void {
    // After a refused body the rest of it is not worth reading on this connection.
    const closeAfter =
      this.deps.isShuttingDown() ||
      ctx.errorCode === 'payload_too_large' ||
      ctx.errorCode === 'request_timeout' ||
      ctx.errorCode === 'too_many_requests';
    const written = writeResponse(this.req, this.res, ctx.response, this.requestId, closeAfter, this.deps.logger);
    if (typeof written === 'number') this.status = written;
    else if (written !== undefined) this.fail(written);
  }

  /** Errors before a context exists (routing): no policies to run. */
  private fail(error: GatewayError): void {
    this.errorCode = error.code;
    this.status = error.status;
    sendProblem(this.res, error, this.requestId, this.req.url);
  }

  /** Runs once when the client connection for this response closes (finished or aborted). */
  finished(): void {
    const ctx = this.ctx;
    const res = this.res;
    const aborted = !res.writableFinished && this.status !== 101;
    // The client left before the response was out: stop the upstream exchange too.
    if (aborted) ctx?.abort();
    // An upload nobody will read any more (the upstream answered or failed early) must not hold its slot.
    if (this.upload !== undefined && !this.upload.destroyed) this.upload.destroy();
    const status = this.status || (aborted ? 499 : res.statusCode);
    const latencyMs = performance.now() - this.startedAt;
    const apiId = this.api?.id ?? '-';
    const planId = ctx?.plan?.id ?? NO_PLAN;
    const upstreamMs = ctx?.upstreamLatencyMs;
    this.deps.metrics.countRequest(
      apiId,
      planId,
      status,
      latencyMs / 1000,
      upstreamMs === undefined ? undefined : upstreamMs / 1000,
    );
    if (ctx) {
      ctx.runFinishers();
      const logSteps = this.lists?.log;
      if (logSteps && logSteps.length > 0) {
        try {
          runSteps(logSteps, ctx)?.catch((error: unknown) =>
            this.deps.logger.warn({ err: error, requestId: this.requestId }, 'log-phase policy failed'),
          );
        } catch (error) {
          this.deps.logger.warn({ err: error, requestId: this.requestId }, 'log-phase policy failed');
        }
      }
    }
    const { accessLog, onRecord } = this.deps;
    if (!accessLog && !onRecord) return;
    const record = buildRequestRecord({
      req: this.req,
      res,
      ctx,
      requestId: this.requestId,
      traceId: this.traceId,
      apiId: this.api?.id,
      status,
      latencyMs,
      aborted,
      errorCode: this.errorCode,
      bytesWrittenAtStart: this.bytesWrittenAtStart,
      trustProxy: this.config.settings.trustProxy,
    });
    accessLog?.(record);
    onRecord?.(record);
  }
}

/**
 * Runs handlers in order; stops the request phase once a handler answered (respond()). Returns undefined when
 * every handler finished synchronously (the common case: no promise, no microtask), else a promise for the rest.
 */
function runSteps(steps: Step[], ctx: GatewayContext, responsePhase = false, from = 0): Promise<void> | undefined {
  for (let i = from; i < steps.length; i++) {
    const result = steps[i]!.run(ctx);
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      return (result as Promise<void>).then(() => {
        if (!responsePhase && ctx.responded) return;
        return runSteps(steps, ctx, responsePhase, i + 1);
      });
    }
    if (!responsePhase && ctx.responded) return undefined;
  }
  return undefined;
}
