/**
 * Compiles a validated config document into what the request path needs: an API router, per-API
 * upstreams and security schemes, and for every route x plan flat lists of handlers per phase.
 * Everything that can be looked up or validated is done here, once per config version.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Api, ConfigDocument, PolicyRef } from '@gatehouse/config';
import { knownJsonKey, type Logger, parseDuration, parseSize } from '@gatehouse/core';
import {
  type CompiledExpression,
  type CompiledMock,
  ConfigError,
  type CounterStore,
  compileExpression,
  type Handler,
  loadMock,
  type NodeLimits,
  type PolicyEnvironment,
  type PolicyHandlers,
  type PolicyScope,
  policyRegistry,
  type ResponseCacheStore,
  type ScopeKind,
  type SecurityScheme,
  securityRegistry,
} from '@gatehouse/policies';
import { checkPolicyRef, checkSecurity } from '@gatehouse/policies/catalog';
import { ApiRouter } from './api-router.js';
import { compileProxyTrust, type ProxyTrust } from './client-address.js';
import { CredentialIndex } from './credentials.js';
import { type GatewayMetrics, NO_PLAN, type RequestSeries } from './metrics.js';
import type { EscapedSlashes } from './path-normalize.js';
import { preparedMockKey } from './prepare.js';
import { compileRoutePattern, RouteTable } from './route-matcher.js';
import { type PoolManager, Upstream, type UpstreamObserver } from './upstream/index.js';

/** A handler with the name of its policy, for error attribution and logs. */
export interface Step {
  policy: string;
  run: Handler;
}

export interface PhaseLists {
  request: Step[];
  response: Step[];
  log: Step[];
  /** Where requests served with these lists are counted (the API and the plan, or '-'); bound at compile. */
  series?: RequestSeries;
}

export interface CompiledRoute {
  id: string;
  path: string;
  /** What policies see as ctx.route: one frozen object, not one per request. */
  ref: Readonly<{ id: string; path: string }>;
  methods: ReadonlySet<string> | undefined;
  /** Global, API and route policies that act before the plan is known. */
  preSecurity: Step[];
  /** Response/log steps when no plan was selected (errors before security). */
  unauthenticated: PhaseLists;
  byPlan: ReadonlyMap<string, PhaseLists>;
}

export interface SecurityEntry {
  type: string;
  planIds: readonly string[];
  /** Frozen plan references for ctx.plan, by id. */
  plans: ReadonlyMap<string, Readonly<{ id: string }>>;
  scheme: SecurityScheme;
}

export interface CompiledApi {
  id: string;
  name: string;
  basePath: string;
  stripBasePath: boolean;
  upstream: Upstream;
  /** Set in mock mode: requests are answered from the OpenAPI document instead of the upstream. */
  mock: CompiledMock | undefined;
  /** Undefined when the API declares no routes: every path is served by `catchAll`. */
  routes: RouteTable<CompiledRoute> | undefined;
  catchAll: CompiledRoute | undefined;
  security: SecurityEntry[];
}

/** A config document as a compiled config keeps it: everything but the applications. */
export type ServedDocument = Omit<ConfigDocument, 'applications'>;

export interface CompiledConfig {
  version: string;
  /**
   * The document compiled, without its applications: credential deltas patch `credentials` in place
   * (credential-patch.ts), so a copy of the list here would go stale; `credentials` is the one source.
   */
  document: ServedDocument;
  router: ApiRouter<CompiledApi>;
  apis: CompiledApi[];
  settings: GatewayRuntimeSettings;
  /** Patched in place by credential deltas (credential-patch.ts). */
  credentials: CredentialIndex;
  readonly keyCount: number;
  /** Releases timers and sockets of this version's policies and upstreams. */
  close(): Promise<void>;
}

export interface GatewayRuntimeSettings {
  trustProxy: ProxyTrust;
  requestIdHeader: string;
  maxBodyBuffer: number;
  /** Bodies up to this size are read whole before an upstream is chosen. */
  requestBodyBuffer: number;
  /** Longest pause between two pieces of a client's request body. */
  clientBodyTimeoutMs: number;
  maxStreamingUploadsPerClient: number;
  escapedSlashes: EscapedSlashes;
}

export interface CompileDependencies {
  logger: Logger;
  counters: CounterStore;
  responseCache: ResponseCacheStore;
  /** Node-wide spike-arrest buckets and concurrency slots (several workers); per policy instance when absent. */
  nodeLimits?: NodeLimits;
  pools: PoolManager;
  upstreamObserver?: UpstreamObserver;
  /** Directory relative paths in the document resolve against (the config file's directory). */
  baseDir: string;
  /** What prepareConfig() left for the policies' create() (documents read and indexed off the event loop). */
  prepared?: Map<string, unknown>;
  /** The gateway's metrics: each route and plan gets its request series bound here, not looked up per request. */
  metrics?: GatewayMetrics;
  /**
   * A definition delta (hybrid protocol 4): the credential index of the version served, kept instead of
   * indexing the document's applications (which are then absent); patched when the new version commits.
   */
  credentials?: CredentialIndex;
}

/**
 * The document's hash, unless it names its version. An inline OpenAPI document counts by its key
 * (knownJsonKey: known from the prepare step that cut it in slices), not by a second JSON.stringify of it.
 */
export function configVersion(doc: ConfigDocument): string {
  if (doc.metadata?.configVersion) return doc.metadata.configVersion;
  const json = JSON.stringify(doc, (key, value: unknown) =>
    key === 'openapi' && typeof value === 'object' && value !== null ? { key: knownJsonKey(value) } : value,
  );
  return createHash('sha256').update(json).digest('hex').slice(0, 12);
}

interface PolicyInstance {
  name: string;
  handlers: PolicyHandlers;
  when: CompiledExpression | undefined;
}

/** What every step of one compilation shares: where problems and closers are collected, what policies receive. */
interface Compilation {
  deps: CompileDependencies;
  environmentBase: EnvironmentBase;
  credentials: CredentialIndex;
  problems: ConfigError['problems'];
  closers: Array<() => unknown>;
}

type EnvironmentBase = Omit<PolicyEnvironment, 'scope' | 'logger'> & { logger: Logger };

/**
 * Throws ConfigError listing every problem (unknown policies, bad policy configs, bad CEL). The steps: runtime
 * settings, global policies, then each API (its policies, security, routes x plans, upstream) into the router.
 */
export function compileConfig(doc: ConfigDocument, deps: CompileDependencies): CompiledConfig {
  const problems: ConfigError['problems'] = [];
  const closers: Array<() => unknown> = [];
  const settings = runtimeSettings(doc, problems);
  const credentials = deps.credentials ?? new CredentialIndex(doc.applications ?? []);
  const c: Compilation = {
    deps,
    environmentBase: {
      logger: deps.logger,
      counters: deps.counters,
      responseCache: deps.responseCache,
      ...(deps.nodeLimits ? { nodeLimits: deps.nodeLimits } : {}),
      compileExpression,
      resolvePath: (p: string) => path.resolve(deps.baseDir, p),
      maxBodyBuffer: settings.maxBodyBuffer,
      ...(deps.prepared ? { prepared: deps.prepared } : {}),
    },
    credentials,
    problems,
    closers,
  };

  const globalPolicies = instantiatePolicies(c, doc.policies, 'policies', { kind: 'global' }, undefined, 'global');
  const router = new ApiRouter<CompiledApi>();
  const apis: CompiledApi[] = [];
  doc.apis.forEach((api, apiIndex) => {
    const compiled = compileApi(c, api, `apis[${apiIndex}]`, globalPolicies);
    router.add(api.hosts, api.basePath, compiled);
    apis.push(compiled);
  });

  const close = async () => {
    await Promise.allSettled(closers.map(async (closer) => closer()));
  };
  if (problems.length > 0) {
    void close();
    throw new ConfigError(problems);
  }
  const { applications: _compiledIntoCredentials, ...served } = doc;
  return {
    version: configVersion(doc),
    document: served,
    router,
    apis,
    settings,
    credentials,
    get keyCount() {
      return credentials.keyCount;
    },
    close,
  };
}

/** The `gateway` block's request-path settings, defaults applied. */
function runtimeSettings(doc: ConfigDocument, problems: ConfigError['problems']): GatewayRuntimeSettings {
  return {
    trustProxy: compileProxyTrust(doc.gateway?.trustProxy, problems),
    requestIdHeader: (doc.gateway?.requestIdHeader ?? 'x-request-id').toLowerCase(),
    maxBodyBuffer: parseSize(doc.gateway?.maxBodyBuffer ?? '10mb'),
    requestBodyBuffer: parseSize(doc.gateway?.requestBodyBuffer ?? '64kb'),
    clientBodyTimeoutMs: parseDuration(doc.gateway?.clientBodyTimeout ?? '10s'),
    maxStreamingUploadsPerClient: doc.gateway?.maxStreamingUploadsPerClient ?? 16,
    escapedSlashes: doc.gateway?.escapedSlashes ?? 'reject',
  };
}

/** Checks and creates the policies of one list (global, API, plan or route); problems are collected, not thrown. */
function instantiatePolicies(
  c: Compilation,
  refs: PolicyRef[] | undefined,
  at: string,
  scope: Omit<PolicyScope, 'key'>,
  api: Api | undefined,
  keyPrefix: string,
): PolicyInstance[] {
  const out: PolicyInstance[] = [];
  (refs ?? []).forEach((ref, index) => {
    const refPath = `${at}[${index}]`;
    if (ref.enabled === false) return;
    // The catalog's checks (name, scope, `when:`, schema, the policy's check): the ones the control plane runs.
    const checked = checkPolicyRef(ref, refPath, scope.kind);
    if (checked.problems.length > 0) {
      c.problems.push(...checked.problems);
      return;
    }
    const definition = policyRegistry.get(ref.policy)!;
    try {
      const { when, config } = checked;
      const env: PolicyEnvironment = {
        ...c.environmentBase,
        logger: c.deps.logger.child({ policy: ref.policy, api: api?.id }),
        scope: { ...scope, key: `${keyPrefix}/${ref.id ?? `${ref.policy}#${index}`}` },
        ...(api ? { api: { id: api.id, name: api.name, basePath: api.basePath, openapi: api.openapi } } : {}),
      };
      const handlers = compileAt(`${refPath}.config`, () => definition.create(config, env));
      if (handlers.close) c.closers.push(handlers.close);
      out.push({ name: ref.policy, handlers, when });
    } catch (error) {
      if (error instanceof ConfigError) c.problems.push(...error.problems);
      else throw error;
    }
  });
  return out;
}

/** One API: its policies, plan policies and security, its routes (each with its phase lists per plan), its upstream. */
function compileApi(c: Compilation, api: Api, at: string, globalPolicies: PolicyInstance[]): CompiledApi {
  const apiPolicies = instantiatePolicies(
    c,
    api.policies,
    `${at}.policies`,
    { kind: 'api', apiId: api.id },
    api,
    api.id,
  );
  const planPolicies = new Map<string, PolicyInstance[]>();
  api.plans.forEach((plan, planIndex) => {
    planPolicies.set(
      plan.id,
      instantiatePolicies(
        c,
        plan.policies,
        `${at}.plans[${planIndex}].policies`,
        { kind: 'plan', apiId: api.id, planId: plan.id },
        api,
        `${api.id}/plan:${plan.id}`,
      ),
    );
  });
  const security = compileSecurity(api, at, c.credentials, c.environmentBase, c.deps.logger, c.problems, c.closers);
  const outer = [...globalPolicies, ...apiPolicies];

  let routes: RouteTable<CompiledRoute> | undefined;
  let catchAll: CompiledRoute | undefined;
  if (api.routes && api.routes.length > 0) {
    const patterns = api.routes.map((route, routeIndex) => {
      const id = route.id ?? `${(route.methods ?? ['*']).join(',')} ${route.path}`;
      const routePolicies = instantiatePolicies(
        c,
        route.policies,
        `${at}.routes[${routeIndex}].policies`,
        { kind: 'route', apiId: api.id, routeId: id },
        api,
        `${api.id}/route:${id}`,
      );
      return compileRoutePattern(
        route.path,
        bindSeries(buildRoute(api, id, route.path, route.methods, outer, planPolicies, routePolicies), api.id, c),
      );
    });
    routes = new RouteTable(patterns);
  } else {
    catchAll = bindSeries(buildRoute(api, '*', '/*', undefined, outer, planPolicies, []), api.id, c);
  }

  const upstream = new Upstream(api.id, api.upstream, c.deps.pools, {
    logger: c.deps.logger,
    ...(c.deps.upstreamObserver ? { observer: c.deps.upstreamObserver } : {}),
  });
  c.closers.push(() => upstream.close());
  let mock: CompiledMock | undefined;
  try {
    const prepared = c.deps.prepared?.get(preparedMockKey(api.id)) as CompiledMock | Error | undefined;
    mock = loadMock(api, c.environmentBase.resolvePath, prepared);
  } catch (error) {
    c.problems.push({ path: `${at}.upstream.mock`, message: (error as Error).message });
  }
  return {
    id: api.id,
    name: api.name,
    basePath: api.basePath,
    stripBasePath: api.stripBasePath ?? true,
    upstream,
    mock,
    routes,
    catchAll,
    security,
  };
}

/** One route's phase lists: before security, without a plan (errors before security), and per plan. */
function buildRoute(
  api: Api,
  id: string,
  routePath: string,
  methods: readonly string[] | undefined,
  outer: PolicyInstance[],
  planPolicies: ReadonlyMap<string, PolicyInstance[]>,
  routePolicies: PolicyInstance[],
): CompiledRoute {
  const byPlan = new Map<string, PhaseLists>();
  for (const plan of api.plans) {
    // Plan policies run in the request phase even if they declare preSecurity: the plan is only known then.
    byPlan.set(
      plan.id,
      phaseLists(
        [...outer, ...(planPolicies.get(plan.id) ?? []), ...routePolicies],
        new Set(planPolicies.get(plan.id)),
      ),
    );
  }
  return {
    id,
    path: routePath,
    ref: Object.freeze({ id, path: routePath }),
    methods:
      methods && methods.length > 0
        ? new Set(methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])))
        : undefined,
    preSecurity: steps([...outer, ...routePolicies], 'preSecurity'),
    unauthenticated: phaseLists([...outer, ...routePolicies], new Set()),
    byPlan,
  };
}

function bindSeries(route: CompiledRoute, apiId: string, c: Compilation): CompiledRoute {
  const metrics = c.deps.metrics;
  if (metrics === undefined) return route;
  route.unauthenticated.series = metrics.bind(apiId, NO_PLAN);
  for (const [planId, lists] of route.byPlan) lists.series = metrics.bind(apiId, planId);
  return route;
}

function compileAt<T>(at: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError([{ path: at, message: (error as Error).message }]);
  }
}

function steps(instances: PolicyInstance[], phase: 'preSecurity' | 'request' | 'response' | 'log'): Step[] {
  const out: Step[] = [];
  for (const instance of instances) {
    const handler = instance.handlers[phase];
    if (handler) out.push({ policy: instance.name, run: guard(handler, instance.when) });
  }
  return out;
}

/** Request-phase list; policies in `planScoped` also run their preSecurity handler here. */
/**
 * Asks the upstream for an uncompressed answer, so response-body policies (masking, transforms)
 * see plain bytes without decompressing; they still decode a body compressed regardless.
 */
const IDENTITY_ENCODING: Step = {
  policy: 'gateway',
  run: (ctx) => {
    ctx.request.headers['accept-encoding'] = 'identity';
  },
};

function phaseLists(instances: PolicyInstance[], planScoped: ReadonlySet<PolicyInstance>): PhaseLists {
  const request: Step[] = [];
  // Decided here, once per route and plan: only routes with a response-body policy pay for it.
  if (instances.some((instance) => instance.handlers.readsResponseBody && instance.handlers.response))
    request.push(IDENTITY_ENCODING);
  for (const instance of instances) {
    const { preSecurity, request: onRequest } = instance.handlers;
    if (preSecurity && planScoped.has(instance))
      request.push({ policy: instance.name, run: guard(preSecurity, instance.when) });
    if (onRequest) request.push({ policy: instance.name, run: guard(onRequest, instance.when) });
  }
  return { request, response: steps(instances, 'response'), log: steps(instances, 'log') };
}

/** Wraps a handler with its `when:` condition, decided at load so unconditional handlers pay nothing. */
function guard(handler: Handler, when: CompiledExpression | undefined): Handler {
  if (!when) return handler;
  return (ctx) => (when.test(ctx) ? handler(ctx) : undefined);
}

function compileSecurity(
  api: Api,
  at: string,
  credentials: CredentialIndex,
  environmentBase: EnvironmentBase,
  logger: Logger,
  problems: ConfigError['problems'],
  closers: Array<() => unknown>,
): SecurityEntry[] {
  // Plans that share a security type and identical config share one scheme, so one credential check covers them.
  const groups = new Map<string, { type: string; config: unknown; planIds: string[]; path: string }>();
  api.plans.forEach((plan, planIndex) => {
    const groupKey = `${plan.security.type}\u0000${JSON.stringify(plan.security.config ?? {})}`;
    const group = groups.get(groupKey);
    if (group) group.planIds.push(plan.id);
    else
      groups.set(groupKey, {
        type: plan.security.type,
        config: plan.security.config ?? {},
        planIds: [plan.id],
        path: `${at}.plans[${planIndex}].security`,
      });
  });
  const entries: Array<SecurityEntry & { priority: number }> = [];
  for (const group of groups.values()) {
    const checked = checkSecurity({ type: group.type, config: group.config }, group.path);
    if (checked.problems.length > 0) {
      problems.push(...checked.problems);
      continue;
    }
    const definition = securityRegistry.get(group.type)!;
    try {
      const config = checked.config;
      const scheme = compileAt(`${group.path}.config`, () =>
        definition.create(config, {
          ...environmentBase,
          logger: logger.child({ security: group.type, api: api.id }),
          api: { id: api.id, name: api.name, basePath: api.basePath, openapi: api.openapi },
          apiId: api.id,
          planIds: group.planIds,
          lookup: credentials.forScheme(api.id, group.planIds),
        }),
      );
      if (scheme.close) closers.push(scheme.close);
      entries.push({
        type: group.type,
        planIds: group.planIds,
        plans: new Map(group.planIds.map((id) => [id, Object.freeze({ id })])),
        scheme,
        priority: definition.priority,
      });
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems);
      else throw error;
    }
  }
  entries.sort((a, b) => a.priority - b.priority);
  return entries.map(({ priority: _priority, ...entry }) => entry);
}

export type { ScopeKind };
