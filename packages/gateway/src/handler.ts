/**
 * The request path: route -> preSecurity -> security -> request -> upstream -> response -> log.
 * Everything here runs per request; everything that could be decided earlier was (compile.ts).
 */
import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { GatewayError, type Logger, PROBLEM_CONTENT_TYPE, toProblem } from '@gatehouse/core';
import type { AuthOutcome } from '@gatehouse/policies';
import { clientAddress, forwardedClient, peerAddress, peerTrusted } from './client-address.js';
import { readClientBody, streamClientBody, type TimedBody } from './client-body.js';
import type { CompiledApi, CompiledConfig, CompiledRoute, PhaseLists, Step } from './compile.js';
import type { ConfigHolder, Generation } from './config-holder.js';
import { type ClientRequest, GatewayContext, ProxyRequest } from './context.js';
import {
  forwardableRawHeaderList,
  forwardableRequestHeaders,
  newRequestIds,
  nextTraceparent,
  setForwardedHeaders,
} from './headers.js';
import type { GatewayMetrics } from './metrics.js';
import { routeRequest } from './routing.js';
import type { UpstreamReceiver, UpstreamRequest, UpstreamResponse } from './upstream/index.js';

export type ClientResponse = ServerResponse | Http2ServerResponse;

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

export interface UpgradeInfo {
  socket: Duplex;
  head: Buffer;
  established?: () => void;
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
      authenticated = this.authenticate(this.api!, ctx);
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
    if (request.bufferedBody === undefined && this.upgrade === undefined && request.hasBody) {
      this.receiveBody(request);
      return;
    }
    this.deliver(null);
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
      this.tunnel(answer, answer.socket, this.upgrade!);
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

  /**
   * The upstream accepted the upgrade: relay its 101 and join the two connections. (Same routing, security and
   * request policies ran before; an upstream that declined answered an ordinary response instead.)
   */
  private tunnel(answer: UpstreamResponse, upstream: Socket, upgrade: UpgradeInfo): void {
    const client = upgrade.socket;
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    let head = 'HTTP/1.1 101 Switching Protocols\r\n';
    const headers = answer.headers;
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || name === 'x-request-id') continue;
      for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
    }
    head += `x-request-id: ${this.requestId}\r\n\r\n`;
    client.write(head);
    if (upgrade.head.length > 0) upstream.write(upgrade.head);
    this.status = 101;
    const tunnels = this.deps.tunnels;
    tunnels.add(client);
    upgrade.established?.();
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => {
      tunnels.delete(client);
      upstream.destroy();
    });
    upstream.pipe(client);
    client.pipe(upstream);
  }

  /** Returns synchronously when the schemes tried answered synchronously (the common case). */
  private authenticate(api: CompiledApi, ctx: GatewayContext, from = 0): string | Promise<string> {
    const schemes = api.security;
    for (let i = from; i < schemes.length; i++) {
      const result = schemes[i]!.scheme.authenticate(ctx);
      if (result instanceof Promise) {
        return result.then((outcome) =>
          outcome === undefined ? this.authenticate(api, ctx, i + 1) : this.selectPlan(schemes[i]!, ctx, outcome),
        );
      }
      if (result !== undefined) return this.selectPlan(schemes[i]!, ctx, result);
    }
    throw new GatewayError('unauthorized', {
      detail: 'this API requires credentials',
      headers: { 'www-authenticate': challenge(api) },
    });
  }

  /** Applies a scheme's outcome to the context: plan, application, subscription, claims. */
  private selectPlan(entry: CompiledApi['security'][number], ctx: GatewayContext, outcome: AuthOutcome): string {
    if ('error' in outcome) throw outcome.error;
    if ('anonymous' in outcome) {
      ctx.plan = entry.plans.get(entry.planIds[0]!);
    } else {
      const subscription = outcome.subscription;
      const plan = entry.plans.get(subscription.planId);
      if (plan === undefined)
        throw new GatewayError('unauthorized', { detail: 'credential is not valid for this API' });
      ctx.plan = plan;
      ctx.application = subscription.application;
      ctx.subscription = { id: subscription.id };
      if (outcome.claims) ctx.claims = outcome.claims;
    }
    ctx.resetActivation();
    return ctx.plan!.id;
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

  /** Sends the response as it stands: buffered body in one write, or the upstream stream piped. */
  private write(ctx: GatewayContext): void {
    const res = this.res;
    if (res.destroyed) {
      ctx.response.stream?.destroy();
      return;
    }
    const response = ctx.response;
    const http1 = this.req.httpVersionMajor === 1;
    // After a refused body the rest of it is not worth reading on this connection.
    const closeAfter =
      this.deps.isShuttingDown() ||
      ctx.errorCode === 'payload_too_large' ||
      ctx.errorCode === 'request_timeout' ||
      ctx.errorCode === 'too_many_requests';
    // Nobody looked at the upstream's headers: forward its raw list without building objects in between.
    const raw = http1 ? response.untouchedRawHeaders() : undefined;
    const list = raw === undefined ? undefined : forwardableRawHeaderList(raw, response.pendingEdits, 'x-request-id');
    this.status = response.status;
    try {
      if (list !== undefined) {
        list.push('x-request-id', this.requestId);
        if (closeAfter) list.push('connection', 'close');
        (res as ServerResponse).writeHead(response.status, list);
      } else {
        const headers = response.headers;
        headers['x-request-id'] = this.requestId;
        if (closeAfter && http1) headers.connection = 'close';
        if (http1) (res as ServerResponse).writeHead(response.status, rawHeaderList(headers));
        else res.writeHead(response.status, withoutUnset(headers));
      }
    } catch (error) {
      // Invalid header values from a policy or upstream: answer a clean 502 rather than crash.
      this.deps.logger.error({ err: error, requestId: this.requestId }, 'invalid response headers');
      response.stream?.destroy();
      this.fail(new GatewayError('upstream_bad_response', { detail: 'invalid response headers' }));
      return;
    }
    // Small responses usually arrive whole with their headers: one write, no stream in between.
    const body = response.body ?? response.takeComplete();
    if (body !== undefined) {
      res.end(body);
      return;
    }
    if (response.stream === undefined) {
      res.end();
      return;
    }
    // pipe() rather than stream.pipeline(): pipeline allocates an AbortController per call, which
    // showed up as ~7% of CPU in profiles of the proxy path.
    const stream = response.stream;
    stream.once('error', () => res.destroy());
    res.once('close', () => {
      if (!stream.readableEnded) stream.destroy();
    });
    stream.pipe(res as NodeJS.WritableStream);
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
    const req = this.req;
    const contentLength = Number(req.headers['content-length'] ?? 0);
    const record: RequestRecord = {
      requestId: this.requestId,
      traceId: this.traceId,
      time: new Date(Date.now() - latencyMs).toISOString(),
      method: req.method ?? '',
      path: ctx?.request.originalPath ?? (req.url ?? '').split('?')[0]!,
      api: this.api?.id,
      route: ctx?.route?.id,
      plan: ctx?.plan?.id,
      application: ctx?.application?.id,
      subscription: ctx?.subscription?.id,
      status,
      latencyMs: round(latencyMs),
      upstreamLatencyMs: ctx?.upstreamLatencyMs === undefined ? undefined : round(ctx.upstreamLatencyMs),
      upstreamTarget: ctx?.upstreamTarget,
      bytesIn: ctx?.request.bufferedBody?.length ?? contentLength,
      bytesOut:
        req.httpVersionMajor === 2
          ? Number(res.getHeader('content-length') ?? 0)
          : (req.socket?.bytesWritten ?? 0) - this.bytesWrittenAtStart,
      clientIp: ctx?.request.clientIp ?? clientAddress(req, this.config.settings.trustProxy),
      userAgent: req.headers['user-agent'],
      errorCode: this.errorCode ?? ctx?.errorCode,
      aborted,
    };
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

function challenge(api: CompiledApi): string {
  const types = new Set(api.security.map((s) => s.type));
  if (types.has('jwt') || types.has('oauth2')) return `Bearer realm="${api.id}"`;
  if (types.has('api-key')) return `ApiKey realm="${api.id}"`;
  return `Bearer realm="${api.id}"`;
}

export function sendProblem(
  res: ClientResponse,
  error: GatewayError,
  requestId: string | undefined,
  instance?: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(error.toProblem(instance?.split('?')[0]));
  const headers: OutgoingHttpHeaders = {
    ...error.headers,
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
  };
  if (requestId) headers['x-request-id'] = requestId;
  res.writeHead(error.status, headers);
  res.end(body);
}

/**
 * Response headers as Node's flat [name, value, ...] list, skipping unset ones: policies unset a header by
 * assigning undefined, because `delete` turns the object into a slow dictionary for everyone after them.
 */
function rawHeaderList(headers: OutgoingHttpHeaders): OutgoingHttpHeader[] {
  const list: OutgoingHttpHeader[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) list.push(name, value);
  }
  return list;
}

function withoutUnset(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) if (headers[name] !== undefined) out[name] = headers[name];
  return out;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
