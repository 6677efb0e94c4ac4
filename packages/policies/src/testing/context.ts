/**
 * A real (not mocked) in-memory RequestContext for policy unit tests. The gateway has its own
 * implementation bound to node:http; this one follows the same contract without sockets.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { GatewayError, silentLogger } from '@gatehouse/core';
import { appendHeaderValue, applyHeaderEdits } from '../sdk/header-edits.js';
import type {
  ApplicationInfo,
  GatewayRequest,
  GatewayResponse,
  RequestContext,
  RequestLocal,
  UpstreamOverrides,
} from '../sdk/types.js';

export interface TestContextInit {
  method?: string;
  path?: string;
  query?: string;
  headers?: IncomingHttpHeaders;
  body?: Buffer | string;
  clientIp?: string;
  apiId?: string;
  planId?: string;
  application?: ApplicationInfo;
  subscriptionId?: string;
  claims?: Record<string, unknown>;
  params?: Record<string, string>;
  maxBodyBuffer?: number;
  /** Upstream response used by `ctx.response` (status 200, empty body by default). */
  response?: { status?: number; headers?: OutgoingHttpHeaders; body?: Buffer | string };
}

export interface TestContext extends RequestContext {
  /** What respond() was called with (if it was). */
  readonly shortCircuit: { status: number; headers: OutgoingHttpHeaders; body: Buffer } | undefined;
  /** Request body as it would be forwarded (after setBody). */
  forwardedBody(): Buffer | undefined;
  /** Runs finish callbacks, as the gateway does at the end of the exchange. */
  finish(): void;
  setIdentity(identity: {
    planId?: string;
    application?: ApplicationInfo;
    subscriptionId?: string;
    claims?: Record<string, unknown>;
  }): void;
}

export function createTestContext(init: TestContextInit = {}): TestContext {
  const maxBodyBuffer = init.maxBodyBuffer ?? 10 * 1024 * 1024;
  const headers: IncomingHttpHeaders = { host: 'gateway.test', ...init.headers };
  let requestBody: Buffer | undefined = init.body === undefined ? undefined : Buffer.from(init.body);
  let rawQuery = init.query ?? '';
  let parsedQuery: URLSearchParams | undefined;
  let parsedFor = '';
  const request: GatewayRequest = {
    method: init.method ?? 'GET',
    path: init.path ?? '/',
    originalPath: init.path ?? '/',
    get rawQuery() {
      return rawQuery;
    },
    set rawQuery(value: string) {
      rawQuery = value;
    },
    get query() {
      if (!parsedQuery || parsedFor !== rawQuery) {
        parsedQuery = new URLSearchParams(rawQuery);
        parsedFor = rawQuery;
      }
      return parsedQuery;
    },
    headers,
    clientIp: init.clientIp ?? '127.0.0.1',
    host: String(headers.host),
    protocol: 'http',
    httpVersion: '1.1',
    tlsSocket: undefined,
    get hasBody() {
      return requestBody !== undefined && requestBody.length > 0;
    },
    async readBody(maxBytes = maxBodyBuffer) {
      const body = requestBody ?? Buffer.alloc(0);
      if (body.length > maxBytes)
        throw new GatewayError('payload_too_large', { detail: `body exceeds ${maxBytes} bytes` });
      return body;
    },
    setBody(body) {
      requestBody = Buffer.from(body);
      headers['content-length'] = String(requestBody.length);
      delete headers['transfer-encoding'];
    },
  };

  let shortCircuit: TestContext['shortCircuit'];
  const responseHeaders: OutgoingHttpHeaders = { ...init.response?.headers };
  let responseBody: Buffer = Buffer.from(init.response?.body ?? '');
  let status = init.response?.status ?? 200;
  const response: GatewayResponse = {
    get status() {
      return status;
    },
    set status(value: number) {
      status = value;
    },
    headers: responseHeaders,
    setHeader(name, value) {
      applyHeaderEdits(responseHeaders, [
        { name, replace: true, values: typeof value === 'string' ? [value] : [...value] },
      ]);
    },
    appendHeader(name, value) {
      appendHeaderValue(responseHeaders, name, value);
    },
    removeHeader(name) {
      if (responseHeaders[name] !== undefined) responseHeaders[name] = undefined;
    },
    get fromGateway() {
      return shortCircuit !== undefined;
    },
    async readBody() {
      return responseBody;
    },
    setBody(body) {
      responseBody = Buffer.from(body);
      responseHeaders['content-length'] = String(responseBody.length);
    },
  };

  const finishers: Array<() => void> = [];
  let planId = init.planId;
  let application = init.application;
  let subscriptionId = init.subscriptionId;
  let claims = init.claims;
  const attributes: Record<string, unknown> = {};
  const upstream: UpstreamOverrides = {};
  const abort = new AbortController();
  let activation: Record<string, unknown> | undefined;
  const locals = new Map<RequestLocal<unknown>, unknown>();

  const ctx: TestContext = {
    id: 'test-request-id',
    request,
    response,
    api: { id: init.apiId ?? 'test-api', name: 'Test API' },
    route: undefined,
    params: init.params ?? {},
    get plan() {
      return planId === undefined ? undefined : { id: planId };
    },
    get application() {
      return application;
    },
    get subscription() {
      return subscriptionId === undefined ? undefined : { id: subscriptionId };
    },
    get claims() {
      return claims;
    },
    attributes,
    upstream,
    signal: abort.signal,
    log: silentLogger(),
    startedAt: performance.now(),
    respond(s, h = {}, body = '') {
      const buf = Buffer.from(body);
      shortCircuit = { status: s, headers: h, body: buf };
      status = s;
      for (const key of Object.keys(responseHeaders)) delete responseHeaders[key];
      Object.assign(responseHeaders, h);
      responseBody = buf;
    },
    get responded() {
      return shortCircuit !== undefined;
    },
    onFinish(callback) {
      finishers.push(callback);
    },
    celActivation() {
      activation ??= {
        request: {
          method: request.method,
          path: request.path,
          headers: Object.fromEntries(
            Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
          ),
          query: Object.fromEntries(request.query),
          ip: request.clientIp,
          host: request.host,
        },
        context: {
          api: ctx.api.id,
          plan: planId ?? '',
          application: application?.id ?? '',
          subscription: subscriptionId ?? '',
          params: ctx.params,
        },
        attributes,
        claims: claims ?? {},
      };
      return activation;
    },
    getLocal<T>(key: RequestLocal<T>) {
      return locals.get(key) as T | undefined;
    },
    setLocal<T>(key: RequestLocal<T>, value: T) {
      locals.set(key, value);
    },
    get shortCircuit() {
      return shortCircuit;
    },
    forwardedBody: () => requestBody,
    finish() {
      for (const f of finishers.splice(0)) f();
    },
    setIdentity(identity) {
      planId = identity.planId ?? planId;
      application = identity.application ?? application;
      subscriptionId = identity.subscriptionId ?? subscriptionId;
      claims = identity.claims ?? claims;
      activation = undefined;
    },
  };
  return ctx;
}
