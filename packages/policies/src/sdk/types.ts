/**
 * The policy contract between the gateway and every policy. A policy is a factory: it validates its
 * config once (against its TypeBox schema) and returns handlers for the phases it works in. Handlers
 * keep no per-request state on the policy object; per-request data lives on the RequestContext.
 */

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { GatewayError, Logger } from '@gatehouse/core';
import type { TSchema } from 'typebox';
import type { ResponseCacheStore } from './cache-store.js';
import type { CounterStore } from './counters/types.js';
import type { CompiledExpression } from './expression.js';
import type { NodeLimits } from './node-limits.js';

/**
 * The closed list of phases, in the order a request meets them:
 * - `preSecurity`: before plan selection (CORS preflight, IP filter, request size). Only global, API
 *   and route scope policies can act here: the plan is not known yet.
 * - `request`: after security selected the plan; scope order global -> API -> plan -> route.
 * - `response`: after the upstream (or a short-circuit) answered, before the client gets headers.
 * - `log`: after the response was sent (custom logs, analytics); errors here never reach the client.
 */
export const PHASES = ['preSecurity', 'request', 'response', 'log'] as const;
export type Phase = (typeof PHASES)[number];

export const SCOPES = ['global', 'api', 'plan', 'route'] as const;
export type ScopeKind = (typeof SCOPES)[number];

export type Awaitable<T> = T | Promise<T>;
export type Handler = (ctx: RequestContext) => Awaitable<void>;

export type PolicyCategory =
  | 'security'
  | 'traffic'
  | 'transformation'
  | 'validation'
  | 'caching'
  | 'mediation'
  | 'observability';

export interface PolicyHandlers {
  preSecurity?: Handler;
  request?: Handler;
  response?: Handler;
  log?: Handler;
  /**
   * The response handler reads the upstream body: the gateway then asks the upstream for an
   * uncompressed answer (Accept-Encoding: identity) on the routes this policy applies to.
   */
  readsResponseBody?: boolean;
  /** Called when the config version that created these handlers is retired (timers, sockets). */
  close?: () => Awaitable<void>;
}

export interface PolicyScope {
  kind: ScopeKind;
  apiId?: string;
  planId?: string;
  routeId?: string;
  /**
   * Stable key of this policy instance across config versions, e.g. `orders/plan:gold/rate-limit#0`
   * or the policy ref's `id`; use it to namespace counters so reloads keep them.
   */
  key: string;
}

export interface PolicyEnvironment {
  scope: PolicyScope;
  logger: Logger;
  /** Shared counters: in memory, or Redis when REDIS_URL is set (falls back to memory when Redis is down). */
  counters: CounterStore;
  /** Shared response cache store (memory LRU by bytes, or Redis). */
  responseCache: ResponseCacheStore;
  /**
   * Spike-arrest buckets and concurrency slots shared by every worker of a node; absent in a
   * single-process gateway, where each policy instance keeps its own.
   */
  nodeLimits?: NodeLimits;
  /** Compiles a CEL expression once; throws a readable error at load time. */
  compileExpression(source: string): CompiledExpression;
  /** Resolves a path from the config (e.g. an OpenAPI file) relative to the config file. */
  resolvePath(path: string): string;
  /** The API this policy belongs to (undefined at global scope), as in the config document. */
  api?: { id: string; name: string; basePath: string; openapi?: unknown };
  /** Largest body a policy may buffer (gateway setting maxBodyBuffer). */
  maxBodyBuffer: number;
  /** What the definitions' prepare() left for create() in this compilation, by a key each policy chooses. */
  prepared?: Map<string, unknown>;
}

/** A problem `check` found, at a path inside the config (`window`, `rules[0].url`; empty for the config itself). */
export interface ConfigIssue {
  path: string;
  message: string;
}

/**
 * What the control plane, `gatehouse validate` and the console know of a policy without running it:
 * its identity, schema and pure checks. Lives in the policy's contract.ts, which imports no runtime code.
 */
export interface PolicyContract<Config = any> {
  /** Registry name used in config documents, e.g. `rate-limit`. */
  name: string;
  /** Semantic version of the policy implementation; reported as a gateway capability. */
  version: string;
  category: PolicyCategory;
  /** One sentence for the reference docs. */
  summary: string;
  /** TypeBox schema of `config`; every field has a description and (if optional) a default. */
  configSchema: TSchema;
  /** A config example for the generated docs (YAML-ready object: the whole policy ref). */
  example: { policy: string; config?: unknown; when?: string };
  /** Scopes where the policy may appear; all when omitted. */
  scopes?: readonly ScopeKind[];
  /** Phases the policy acts in (for docs and load-time checks). */
  phases: readonly Phase[];
  /**
   * Rules the schema cannot express (regexes, CEL, templates, cross-field), over the schema-valid config
   * with defaults filled. Pure: no environment, no I/O; the same answer on every gateway and the control plane.
   */
  check?(config: Config): ConfigIssue[];
  /**
   * What the policy promises a consumer, in words ("100 requests per minute"), over the schema-valid
   * config with defaults filled; the developer portal shows them as a plan's limits. Omitted when
   * the policy sets no limit a consumer needs to know.
   */
  describe?(config: Config): string[];
}

export interface PolicyDefinition<Config = any> extends PolicyContract<Config> {
  /**
   * Optional step a gateway awaits before the synchronous create()s of a new config version: work
   * that would block the event loop for long (reading and indexing a large document) done in a
   * worker or in slices, its result left in `env.prepared`. create() must work without it.
   */
  prepare?(config: Config, env: PolicyEnvironment): Promise<void>;
  create(config: Config, env: PolicyEnvironment): PolicyHandlers;
}

// ---------------------------------------------------------------------------------------------
// Plan security

/** What a subscription looks like to security handlers (resolved at load from the config document). */
export interface SubscriptionInfo {
  id: string;
  apiId: string;
  planId: string;
  application: ApplicationInfo;
  /** What the gateway sets as ctx.subscription: made once with the subscription, not once per request. */
  readonly ref?: Readonly<{ id: string }>;
}

export interface ApplicationInfo {
  id: string;
  name: string;
  clientId?: string;
}

/** Lookups a security handler may use; prepared once per config version, scoped to one API. */
export interface CredentialLookup {
  /** Accepted, non-expired, non-revoked key by its `sha256:<hex>` hash; undefined otherwise. */
  apiKey(keyHash: string): SubscriptionInfo | undefined;
  /** Accepted subscription of the application with this clientId to this API (on a plan of the calling security type). */
  clientId(clientId: string): SubscriptionInfo | undefined;
  /** Accepted subscription of the application owning this certificate identity (`sha256:<hex>` or `subject:<DN>`). */
  certificate(identity: string): SubscriptionInfo | undefined;
  /** Application by id (for basic-auth and similar). */
  application(applicationId: string): SubscriptionInfo | undefined;
}

export type AuthOutcome =
  /** Authenticated: the request belongs to this subscription (its plan is the selected plan). */
  | { subscription: SubscriptionInfo; claims?: Record<string, unknown>; principal?: string }
  /** Keyless: the request is served on the plan with no subscription. */
  | { anonymous: true }
  /** The request carries this scheme's credential but it is wrong: 401/403 with this error. */
  | { error: GatewayError };

export interface SecurityScheme {
  /**
   * Returns undefined when the request carries no credential of this scheme (so another scheme or
   * the keyless plan may take it), else the outcome.
   */
  authenticate(ctx: RequestContext): Awaitable<AuthOutcome | undefined>;
  close?: () => Awaitable<void>;
}

export interface SecurityEnvironment extends Omit<PolicyEnvironment, 'scope'> {
  apiId: string;
  /** Plans of this API that use this security type, with their config. */
  planIds: readonly string[];
  lookup: CredentialLookup;
}

/** A plan security type's identity, schema and pure checks (see PolicyContract). */
export interface SecurityContract<Config = any> {
  /** Plan security type, e.g. `api-key`. */
  type: string;
  version: string;
  summary: string;
  configSchema: TSchema;
  example: { type: string; config?: unknown };
  /** Lower runs first when an API has plans of several types; keyless always runs last. */
  priority: number;
  /** Pure rules beyond the schema (see PolicyContract.check). */
  check?(config: Config): ConfigIssue[];
  /** How a consumer authenticates, in words ("API key in the X-Api-Key header"); see PolicyContract.describe. */
  describe?(config: Config): string[];
}

export interface SecurityDefinition<Config = any> extends SecurityContract<Config> {
  create(config: Config, env: SecurityEnvironment): SecurityScheme;
}

// ---------------------------------------------------------------------------------------------
// The request context

export interface GatewayRequest {
  readonly method: string;
  /** Path forwarded upstream (basePath stripped); policies may rewrite it. Always starts with `/`. */
  path: string;
  /** Path as received from the client, without the query. */
  readonly originalPath: string;
  /** Raw query string without `?` (may be empty); policies may rewrite it. */
  rawQuery: string;
  /** Parsed query (parsed lazily; re-parsed when rawQuery changes). */
  readonly query: URLSearchParams;
  /** Request headers (lower-case names); mutations are forwarded upstream. */
  readonly headers: IncomingHttpHeaders;
  readonly clientIp: string;
  readonly host: string;
  readonly protocol: 'http' | 'https';
  readonly httpVersion: string;
  /** TLS socket for mTLS (peer certificate), undefined on plain HTTP. */
  readonly tlsSocket: TLSSocket | undefined;
  /** Whether a body is expected (Content-Length > 0 or chunked). */
  readonly hasBody: boolean;
  /**
   * Buffers the request body (once; later calls return the same buffer) up to `maxBytes`
   * (default: the gateway's maxBodyBuffer); rejects with payload_too_large beyond it.
   * The buffered body is what gets forwarded.
   */
  readBody(maxBytes?: number): Promise<Buffer>;
  /** Replaces the body forwarded upstream; fixes Content-Length. */
  setBody(body: Buffer | string): void;
}

export interface GatewayResponse {
  status: number;
  /** Response headers sent to the client (lower-case names). */
  readonly headers: OutgoingHttpHeaders;
  /**
   * Sets a response header, replacing its values (lower-case name). Prefer these three to writing `headers` when
   * the policy does not read them: on an upstream answer they cost no headers object.
   */
  setHeader(name: string, value: string | readonly string[]): void;
  /** Adds a value after the header's existing ones. */
  appendHeader(name: string, value: string): void;
  /** Drops the header. */
  removeHeader(name: string): void;
  /** True when the response came from a short-circuit (mock, cache, error) rather than the upstream. */
  readonly fromGateway: boolean;
  /** Buffers the response body (upstream or short-circuit) up to maxBytes; later calls reuse it. */
  readBody(maxBytes?: number): Promise<Buffer>;
  /** Replaces the body sent to the client; fixes Content-Length. */
  setBody(body: Buffer | string): void;
}

/** Per-request proxy settings policies may change before the upstream call. */
export interface UpstreamOverrides {
  /** Absolute target URL base (dynamic-routing); bypasses balancing for this request. */
  targetUrl?: string;
  /** Response timeout in ms for this request (timeout policy). */
  responseTimeoutMs?: number;
  /** Extra retry attempts for this request (retry policy). */
  retries?: number;
  /** Statuses that are retried (retry policy). */
  retryOnStatus?: readonly number[];
}

export interface RequestContext {
  /** Request id (propagated from the client's header or generated). */
  readonly id: string;
  readonly request: GatewayRequest;
  /** Present in the response and log phases (and after respond()). */
  readonly response: GatewayResponse;
  readonly api: { id: string; name: string };
  readonly route: { id: string; path: string } | undefined;
  /** Path parameters of the matched route (`:name`). */
  readonly params: Readonly<Record<string, string>>;
  /** Set by security: the selected plan, and the application/subscription (undefined on keyless). */
  readonly plan: { id: string } | undefined;
  readonly application: ApplicationInfo | undefined;
  readonly subscription: { id: string } | undefined;
  /** Verified token claims (jwt, oauth2) for templates and conditions. */
  readonly claims: Readonly<Record<string, unknown>> | undefined;
  /** Free-form attributes shared between policies (`set-attribute`, `http-callout`). */
  readonly attributes: Record<string, unknown>;
  readonly upstream: UpstreamOverrides;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Monotonic start time (performance.now()). */
  readonly startedAt: number;
  /**
   * Answers at the gateway instead of calling the upstream; the response phase still runs.
   * Later request-phase handlers are skipped.
   */
  respond(status: number, headers?: OutgoingHttpHeaders, body?: Buffer | string): void;
  /** Whether respond() was called (or an error answered). */
  readonly responded: boolean;
  /** Runs after the exchange finished (success, error or client abort); for releasing resources. */
  onFinish(callback: () => void): void;
  /** The CEL activation (`request`, `context`, `attributes`, `claims`), built lazily once per request. */
  celActivation(): Record<string, unknown>;
  /**
   * Per-request state private to a policy, carried from one phase to the next (e.g. rate-limit's counts for its
   * response headers). Cheaper than a WeakMap keyed by the context, which the GC treats as an ephemeron.
   */
  getLocal<T>(key: RequestLocal<T>): T | undefined;
  setLocal<T>(key: RequestLocal<T>, value: T): void;
}

/** A key for RequestContext.getLocal/setLocal: create one per policy (module or factory), never per request. */
export class RequestLocal<T> {
  static #count = 0;
  declare private readonly _type: T;
  /** Index of this key in a context's locals: an array slot rather than a Map per request. */
  readonly slot: number;
  constructor(readonly name: string) {
    this.slot = RequestLocal.#count++;
  }
}
