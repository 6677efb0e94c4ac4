/**
 * The request path: route -> preSecurity -> security -> request -> upstream -> response -> log.
 * Everything here runs per request; everything that could be decided earlier was (compile.ts).
 */
import type { Duplex, Readable } from 'node:stream';
import { GatewayError, type Logger } from '@gatehouse/core';
import { mockAnswer } from '@gatehouse/policies';
import { authenticate } from './authentication.js';
import type { TimedBody } from './client-body.js';
import { receiveClientBody, type UploadReceiver } from './client-upload.js';
import type { CompiledApi, CompiledConfig, CompiledRoute, PhaseLists, Step } from './compile.js';
import type { ConfigHolder, Generation } from './config-holder.js';
import type { ClientRequest, GatewayContext } from './context.js';
import { createExchangeContext } from './exchange-context.js';
import { type EndedExchange, endExchange } from './exchange-end.js';
import { newRequestIds } from './headers.js';
import type { GatewayMetrics } from './metrics.js';
import type { RequestRecord } from './request-record.js';
import { type AnsweringExchange, fail, respond, toErrorResponse, write } from './response-phase.js';
import { type ClientResponse, sendProblem } from './response-writer.js';
import { routeRequest } from './routing.js';
import { runSteps } from './run-steps.js';
import { openTunnel, type UpgradeInfo } from './tunnel.js';
import type { UpstreamReceiver, UpstreamResponse } from './upstream/index.js';
import { buildUpstreamRequest, type ExchangeIds } from './upstream-request.js';

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

/**
 * One request's trip through the pipeline: the phase machine. Its parts live beside it: the context
 * (exchange-context.ts), the client's upload (client-upload.ts), the upstream request (upstream-request.ts), the
 * answer (response-phase.ts), the tunnel (tunnel.ts) and the end of the exchange (exchange-end.ts), which reads
 * the fields below.
 */
class ClientExchange implements UpstreamReceiver, UploadReceiver, ExchangeIds, EndedExchange, AnsweringExchange {
  readonly requestId: string;
  readonly spanId: string | undefined;
  traceId: string | undefined;
  ctx: GatewayContext | undefined;
  api: CompiledApi | undefined;
  private route: CompiledRoute | undefined;
  lists: PhaseLists | undefined;
  private sentAt = 0;
  status = 0;
  errorCode: string | undefined;
  readonly bytesWrittenAtStart: number;
  upgrade: UpgradeInfo | undefined;
  /** The client's body while it streams upstream; released (and its upload slot) when the exchange ends. */
  upload: TimedBody | undefined;
  readonly config: CompiledConfig;
  private pinned = true;

  constructor(
    readonly req: ClientRequest,
    readonly res: ClientResponse,
    private readonly generation: Generation,
    readonly deps: HandlerDependencies,
    readonly startedAt: number,
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
      fail(this, routed.error);
      return false;
    }
    this.api = routed.api;
    this.route = routed.route;
    this.ctx = createExchangeContext(config, req, routed, this.requestId, this.deps.logger, this.startedAt);
    this.lists = routed.route.unauthenticated;
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
      // Answers through bodyReady / bodyFailed.
      receiveClientBody(this.req as Readable, request, this.config.settings, this.deps.uploads, this);
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

  /** The client's body was read, or is streaming (UploadReceiver). */
  bodyReady(stream: TimedBody | null): void {
    if (stream !== null) this.upload = stream;
    this.deliver(stream);
  }

  bodyFailed(error: unknown): void {
    this.pipelineFailed(error);
  }

  private deliver(body: TimedBody | null): void {
    try {
      this.sentAt = performance.now();
      const upgrade = this.upgrade === undefined ? undefined : String(this.req.headers.upgrade);
      const request = buildUpstreamRequest(this.ctx!, body, this.config.settings, this, upgrade);
      // Answers through upstreamAnswered / upstreamFailed.
      this.api!.upstream.deliver(request, this);
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
      toErrorResponse(this, error, this.ctx);
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
        const pending = respond(this, ctx, this.lists!.response);
        if (pending !== undefined) pending.then(undefined, (error: unknown) => this.crash(error));
      } else write(this, ctx);
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

  /** Runs once when the client connection for this response closes (finished or aborted). */
  finished(): void {
    endExchange(this);
  }
}
