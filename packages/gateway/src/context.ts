import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { GatewayError, type Logger } from '@gatehouse/core';
import {
  type ApplicationInfo,
  appendHeaderValue,
  applyHeaderEdits,
  type GatewayRequest,
  type GatewayResponse,
  type HeaderEdit,
  type RequestContext,
  type RequestLocal,
  recordHeaderEdit,
  type UpstreamOverrides,
} from '@gatehouse/policies';
import { forwardableHeadersFromRaw, forwardableResponseHeaders } from './headers.js';

export type ClientRequest = IncomingMessage | Http2ServerRequest;

/** What ProxyResponse needs of an upstream answer's headers. */
export interface UpstreamHeaderSource {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly rawHeaders?: readonly Buffer[];
}

/** Reads a stream into one Buffer, refusing more than `max` bytes. */
export async function readStream(
  stream: Readable,
  max: number,
  onOverflow: 'destroy' | 'discard' = 'destroy',
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > max) {
      // A client body is discarded rather than cut, so the client reads our 413 instead of a reset.
      if (onOverflow === 'discard') stream.resume();
      else stream.destroy();
      throw new GatewayError('payload_too_large', { detail: `body exceeds ${max} bytes` });
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/** What the request path knows about a client request once it is routed (ProxyRequest's constructor argument). */
export interface ProxyRequestInit {
  raw: ClientRequest;
  method: string;
  /** The routed path in canonical form, before the base path was stripped. */
  originalPath: string;
  /** The path sent upstream. */
  path: string;
  /** The query string without its `?`. */
  rawQuery: string;
  /** The forwardable headers (hop-by-hop ones removed); policies edit them in place. */
  headers: IncomingHttpHeaders;
  clientIp: string;
  /** The connecting peer's address (the client's, unless a trusted proxy forwarded the request). */
  peer: string;
  /** The connecting peer is a trusted proxy: its X-Forwarded-* headers are kept and extended. */
  viaTrustedProxy: boolean;
  host: string;
  protocol: 'http' | 'https';
  maxBodyBuffer: number;
}

/** The client request as policies see it. Body is streamed unless a policy buffers it. */
export class ProxyRequest implements GatewayRequest {
  readonly raw: ClientRequest;
  readonly method: string;
  readonly originalPath: string;
  path: string;
  readonly headers: IncomingHttpHeaders;
  readonly clientIp: string;
  /** The connecting peer's address (the client's, unless a trusted proxy forwarded the request). */
  readonly peer: string;
  /** The connecting peer is a trusted proxy: its X-Forwarded-* headers are kept and extended. */
  readonly viaTrustedProxy: boolean;
  readonly host: string;
  readonly protocol: 'http' | 'https';
  private readonly maxBodyBuffer: number;
  private query_: URLSearchParams | undefined;
  private queryFor = '';
  private rawQuery_: string;
  /** The buffered (or replaced) body; undefined while the body still streams from the client. */
  bufferedBody: Buffer | undefined;
  private bodyPromise: Promise<Buffer> | undefined;

  constructor(init: ProxyRequestInit) {
    this.raw = init.raw;
    this.method = init.method;
    this.originalPath = init.originalPath;
    this.path = init.path;
    this.rawQuery_ = init.rawQuery;
    this.headers = init.headers;
    this.clientIp = init.clientIp;
    this.peer = init.peer;
    this.viaTrustedProxy = init.viaTrustedProxy;
    this.host = init.host;
    this.protocol = init.protocol;
    this.maxBodyBuffer = init.maxBodyBuffer;
  }

  get rawQuery(): string {
    return this.rawQuery_;
  }

  set rawQuery(value: string) {
    this.rawQuery_ = value.startsWith('?') ? value.slice(1) : value;
  }

  get query(): URLSearchParams {
    if (this.query_ === undefined || this.queryFor !== this.rawQuery_) {
      this.query_ = new URLSearchParams(this.rawQuery_);
      this.queryFor = this.rawQuery_;
    }
    return this.query_;
  }

  get httpVersion(): string {
    return this.raw.httpVersion;
  }

  get tlsSocket(): TLSSocket | undefined {
    const socket = this.raw.socket as TLSSocket | null;
    return socket && (socket as TLSSocket).encrypted ? socket : undefined;
  }

  get hasBody(): boolean {
    if (this.bufferedBody !== undefined) return this.bufferedBody.length > 0;
    const length = this.headers['content-length'];
    if (length !== undefined) return length !== '0';
    // Transfer-Encoding is hop-by-hop, so it is not among the forwarded headers: ask the raw request.
    if (this.raw.httpVersionMajor === 2)
      return !(this.raw as { stream?: { endAfterHeaders?: boolean } }).stream?.endAfterHeaders;
    return this.raw.headers['transfer-encoding'] !== undefined;
  }

  readBody(maxBytes = this.maxBodyBuffer): Promise<Buffer> {
    if (this.bufferedBody !== undefined) return Promise.resolve(this.bufferedBody);
    if (this.bodyPromise === undefined) {
      const declared = Number(this.headers['content-length'] ?? 0);
      if (declared > maxBytes) {
        return Promise.reject(new GatewayError('payload_too_large', { detail: `body exceeds ${maxBytes} bytes` }));
      }
      this.bodyPromise = readStream(this.raw as Readable, maxBytes, 'discard').then((body) => {
        this.bufferedBody ??= body;
        return this.bufferedBody;
      });
    }
    return this.bodyPromise;
  }

  setBody(body: Buffer | string): void {
    this.bufferedBody = typeof body === 'string' ? Buffer.from(body) : body;
    this.headers['content-length'] = String(this.bufferedBody.length);
    delete this.headers['transfer-encoding'];
  }
}

/** The response as policies see it: from the upstream (streamed) or from the gateway (buffered). */
export class ProxyResponse implements GatewayResponse {
  status = 0;
  /** Undefined until read or set: an upstream answer replaces it before anyone looks (so none is made for it). */
  private headers_: OutgoingHttpHeaders | undefined = undefined;
  /** The upstream's header list while nobody asked for `headers` (then it is turned into the object once). */
  private upstreamHeaders: UpstreamHeaderSource | undefined;
  /** Header edits made while `headers_` is unbuilt; applied when it is built or the raw list is forwarded. */
  private edits: HeaderEdit[] | undefined;
  fromGateway = false;
  body: Buffer | undefined;
  private stream_: Readable | undefined;
  /** The upstream answer whose body has not been touched yet (it may still arrive whole). */
  private source: { readonly body: Readable; takeComplete?(): Buffer | undefined } | undefined;

  constructor(private readonly maxBodyBuffer: number) {}

  get headers(): OutgoingHttpHeaders {
    let headers = this.headers_;
    if (headers === undefined) {
      const source = this.upstreamHeaders;
      const raw = source?.rawHeaders;
      headers =
        source === undefined
          ? {}
          : ((raw === undefined ? undefined : forwardableHeadersFromRaw(raw)) ??
            forwardableResponseHeaders(source.headers));
      if (this.edits !== undefined) applyHeaderEdits(headers, this.edits);
      this.headers_ = headers;
      this.upstreamHeaders = undefined;
      this.edits = undefined;
    }
    return headers;
  }

  set headers(value: OutgoingHttpHeaders) {
    this.headers_ = value;
    this.upstreamHeaders = undefined;
    this.edits = undefined;
  }

  setHeader(name: string, value: string | readonly string[]): void {
    const headers = this.headers_;
    if (headers === undefined) recordHeaderEdit(this.pendingEditList(), name, true, value);
    else headers[name] = typeof value === 'string' ? value : [...value];
  }

  appendHeader(name: string, value: string): void {
    const headers = this.headers_;
    if (headers === undefined) recordHeaderEdit(this.pendingEditList(), name, false, value);
    else appendHeaderValue(headers, name, value);
  }

  removeHeader(name: string): void {
    const headers = this.headers_;
    if (headers === undefined) recordHeaderEdit(this.pendingEditList(), name, true, undefined);
    else if (headers[name] !== undefined) headers[name] = undefined;
  }

  private pendingEditList(): HeaderEdit[] {
    this.edits ??= [];
    return this.edits;
  }

  /** Takes the upstream's headers as they are; `headers` builds the forwardable object only when asked. */
  setUpstreamHeaders(source: UpstreamHeaderSource): void {
    this.headers_ = undefined;
    this.upstreamHeaders = source;
    this.edits = undefined;
  }

  /** The upstream's raw header list, as long as nobody read or replaced `headers` (see `pendingEdits`). */
  untouchedRawHeaders(): readonly Buffer[] | undefined {
    return this.headers_ === undefined ? this.upstreamHeaders?.rawHeaders : undefined;
  }

  /** Edits to apply to the raw list on the way out (set/append/remove while the headers were untouched). */
  get pendingEdits(): readonly HeaderEdit[] | undefined {
    return this.edits;
  }

  /** Upstream body stream while not buffered (created on first access). */
  get stream(): Readable | undefined {
    if (this.stream_ === undefined && this.source !== undefined) {
      this.stream_ = this.source.body;
      this.source = undefined;
    }
    return this.stream_;
  }

  set stream(value: Readable | undefined) {
    this.stream_ = value;
    this.source = undefined;
  }

  setUpstream(source: { readonly body: Readable; takeComplete?(): Buffer | undefined }): void {
    this.stream_ = undefined;
    this.source = source;
  }

  /** The upstream body as one buffer when it already arrived whole; undefined when it must be streamed. */
  takeComplete(): Buffer | undefined {
    const whole = this.source?.takeComplete?.();
    if (whole !== undefined) {
      this.source = undefined;
      this.body = whole;
    }
    return whole;
  }

  async readBody(maxBytes = this.maxBodyBuffer): Promise<Buffer> {
    if (this.body !== undefined) return this.body;
    const whole = this.takeComplete();
    if (whole !== undefined) {
      if (whole.length > maxBytes)
        throw new GatewayError('upstream_bad_response', { detail: `response body exceeds ${maxBytes} bytes` });
      return whole;
    }
    if (this.stream === undefined) {
      this.body = Buffer.alloc(0);
      return this.body;
    }
    const declared = Number(this.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      this.stream.destroy();
      throw new GatewayError('upstream_bad_response', { detail: `response body exceeds ${maxBytes} bytes` });
    }
    const stream = this.stream;
    this.stream = undefined;
    try {
      this.body = await readStream(stream, maxBytes);
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'payload_too_large') {
        throw new GatewayError('upstream_bad_response', { detail: `response body exceeds ${maxBytes} bytes` });
      }
      throw error;
    }
    return this.body;
  }

  setBody(body: Buffer | string): void {
    this.stream?.destroy();
    this.stream = undefined;
    this.body = typeof body === 'string' ? Buffer.from(body) : body;
    this.headers['content-length'] = String(this.body.length);
    delete this.headers['transfer-encoding'];
  }
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

type AbortListener = ((event: Event) => void) | { handleEvent(event: Event): void };

/**
 * Per-request state. One object per request; policies read and change it through the contract.
 * Rarely used parts (attributes, upstream overrides, the AbortSignal, locals) are created on first use.
 */
export class GatewayContext implements RequestContext {
  readonly response: ProxyResponse;
  plan: { id: string } | undefined = undefined;
  application: ApplicationInfo | undefined = undefined;
  subscription: { id: string } | undefined = undefined;
  claims: Readonly<Record<string, unknown>> | undefined = undefined;
  route: { id: string; path: string } | undefined = undefined;
  params: Readonly<Record<string, string>> = NO_PARAMS;
  responded = false;
  /** Error code when the exchange ended in a gateway error (for logs and analytics). */
  errorCode: string | undefined = undefined;
  upstreamLatencyMs: number | undefined = undefined;
  upstreamTarget: string | undefined = undefined;
  /** Overrides set by policies (dynamic routing, retry, timeout); undefined while none did. */
  upstreamOverrides: UpstreamOverrides | undefined = undefined;
  private attributes_: Record<string, unknown> | undefined = undefined;
  private finishers: Array<() => void> | undefined = undefined;
  /** Values of RequestLocal keys by slot; a request uses one or two, so no Map. */
  private locals: unknown[] | undefined = undefined;
  private activation: Record<string, unknown> | undefined = undefined;
  private abortController: AbortController | undefined = undefined;
  /** Who listens for the client going away: usually one upstream exchange, so no array until a second. */
  private abortListener: AbortListener | undefined = undefined;
  private moreAbortListeners: AbortListener[] | undefined = undefined;
  /** Part of the AbortSignal shape the upstream layer reads (see upstreamSignal). */
  aborted = false;
  reason: unknown = undefined;

  constructor(
    readonly id: string,
    readonly request: ProxyRequest,
    readonly api: { id: string; name: string },
    readonly log: Logger,
    readonly startedAt: number,
    maxBodyBuffer: number,
  ) {
    this.response = new ProxyResponse(maxBodyBuffer);
  }

  get attributes(): Record<string, unknown> {
    this.attributes_ ??= {};
    return this.attributes_;
  }

  get upstream(): UpstreamOverrides {
    this.upstreamOverrides ??= {};
    return this.upstreamOverrides;
  }

  get signal(): AbortSignal {
    this.abortController ??= new AbortController();
    if (this.aborted) this.abortController.abort(this.reason);
    return this.abortController.signal;
  }

  /**
   * What the upstream layer listens on for the client going away. A real AbortController per request is
   * measurable on the hot path, so the context itself plays the part (aborted, reason, one 'abort' listener);
   * policies asking for `signal` still get a real AbortSignal.
   */
  get upstreamSignal(): AbortSignal {
    return this as unknown as AbortSignal;
  }

  addEventListener(_type: 'abort', listener: AbortListener): void {
    if (this.abortListener === undefined) this.abortListener = listener;
    else {
      this.moreAbortListeners ??= [];
      this.moreAbortListeners.push(listener);
    }
  }

  removeEventListener(_type: 'abort', listener: AbortListener): void {
    if (this.abortListener === listener) this.abortListener = undefined;
    else if (this.moreAbortListeners !== undefined) {
      const index = this.moreAbortListeners.indexOf(listener);
      if (index !== -1) this.moreAbortListeners.splice(index, 1);
    }
  }

  /** Called when the client connection closes before the response finished. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = new Error('client closed the connection');
    this.abortController?.abort(this.reason);
    const listeners = [this.abortListener, ...(this.moreAbortListeners ?? [])];
    this.abortListener = undefined;
    this.moreAbortListeners = undefined;
    const event = { type: 'abort', target: this } as unknown as Event;
    for (const listener of listeners) {
      if (listener === undefined) continue;
      if (typeof listener === 'function') listener(event);
      else listener.handleEvent(event);
    }
  }

  respond(status: number, headers: OutgoingHttpHeaders = {}, body: Buffer | string = ''): void {
    const buffer = typeof body === 'string' ? Buffer.from(body) : body;
    this.response.stream?.destroy();
    this.response.stream = undefined;
    this.response.status = status;
    this.response.headers = { ...headers, 'content-length': String(buffer.length) };
    this.response.body = buffer;
    this.response.fromGateway = true;
    this.responded = true;
  }

  onFinish(callback: () => void): void {
    this.finishers ??= [];
    this.finishers.push(callback);
  }

  runFinishers(): void {
    const finishers = this.finishers;
    if (!finishers) return;
    this.finishers = undefined;
    for (const f of finishers) {
      try {
        f();
      } catch (error) {
        this.log.error({ err: error }, 'finish callback failed');
      }
    }
  }

  getLocal<T>(key: RequestLocal<T>): T | undefined {
    return this.locals?.[key.slot] as T | undefined;
  }

  setLocal<T>(key: RequestLocal<T>, value: T): void {
    this.locals ??= [];
    this.locals[key.slot] = value;
  }

  /** Security changed identity: the activation must show the new plan, app and claims. */
  resetActivation(): void {
    this.activation = undefined;
  }

  celActivation(): Record<string, unknown> {
    if (this.activation) return this.activation;
    const request = this.request;
    const headers: Record<string, string> = {};
    for (const name in request.headers) {
      const value = request.headers[name];
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    this.activation = {
      request: {
        method: request.method,
        path: request.path,
        originalPath: request.originalPath,
        headers,
        query: Object.fromEntries(request.query),
        ip: request.clientIp,
        host: request.host,
        protocol: request.protocol,
      },
      context: {
        api: this.api.id,
        plan: this.plan?.id ?? '',
        application: this.application?.id ?? '',
        subscription: this.subscription?.id ?? '',
        route: this.route?.id ?? '',
        params: this.params,
        requestId: this.id,
      },
      attributes: this.attributes,
      claims: this.claims ?? {},
    };
    return this.activation;
  }
}
