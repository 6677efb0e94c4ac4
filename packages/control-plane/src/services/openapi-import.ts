/**
 * Turns an OpenAPI 3.x or Swagger 2 document into an API definition: name, version and description
 * from `info`, the upstream from `servers[0]` (or host/basePath/schemes), one route per path with
 * the methods of its operations (`{param}` becomes `:param`). Server URL variables take their
 * defaults; security schemes become plans (see plansFromSecuritySchemes).
 */
import { HTTP_METHODS, SLUG_PATTERN } from '@gatehouse/config';
import { invalid } from '../http/validation.js';
import type { ApiInput } from './apis.js';

const METHODS = new Set<string>(HTTP_METHODS.map((m) => m.toLowerCase()));

export function slugify(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return slug || 'api';
}

export interface ImportOverrides {
  id?: string | undefined;
  basePath?: string | undefined;
  upstreamUrl?: string | undefined;
  /** Used when the document names no absolute server and `upstreamUrl` is absent (a re-import). */
  fallbackUpstreamUrl?: string | undefined;
  /** Serve the API from the document's examples (`upstream.mock`) until switched off. */
  mock?: boolean | undefined;
}

/** Where a mocked API without a server points: `.invalid` never resolves (RFC 6761), and mock mode never connects. */
export const MOCK_PLACEHOLDER_URL = 'http://backend.invalid';

export function apiFromOpenApi(doc: Record<string, unknown>, overrides: ImportOverrides): ApiInput {
  const isV3 = typeof doc.openapi === 'string' && doc.openapi.startsWith('3.');
  const isV2 = doc.swagger === '2.0';
  if (!isV3 && !isV2)
    throw invalid(
      'body.document',
      'must be an OpenAPI 3.x (`openapi: 3.x`) or Swagger 2.0 (`swagger: "2.0"`) document',
    );
  const info = (doc.info ?? {}) as { title?: unknown; version?: unknown; description?: unknown };
  if (typeof info.title !== 'string' || info.title.trim() === '')
    throw invalid('body.document.info.title', 'is required');
  const paths = doc.paths;
  if (!paths || typeof paths !== 'object') throw invalid('body.document.paths', 'is required');

  let server: URL | undefined;
  if (isV3) {
    const first = (doc.servers as { url?: unknown; variables?: unknown }[] | undefined)?.[0];
    const url = typeof first?.url === 'string' ? withVariableDefaults(first.url, first.variables) : undefined;
    if (url && /^https?:\/\//.test(url) && URL.canParse(url)) server = new URL(url);
  } else if (typeof doc.host === 'string') {
    const scheme = ((doc.schemes as string[] | undefined) ?? ['https']).includes('https') ? 'https' : 'http';
    server = new URL(`${scheme}://${doc.host}${typeof doc.basePath === 'string' ? doc.basePath : ''}`);
  }
  const upstreamUrl =
    overrides.upstreamUrl ??
    server?.toString().replace(/\/$/, '') ??
    overrides.fallbackUpstreamUrl ??
    (overrides.mock ? MOCK_PLACEHOLDER_URL : undefined);
  if (!upstreamUrl) throw invalid('body.upstreamUrl', 'is required: the document names no absolute server URL');

  const routes = routesFromOpenApi(doc, 'body.document');

  const id = overrides.id ?? slugify(info.title);
  if (!new RegExp(SLUG_PATTERN).test(id)) throw invalid('body.id', 'must be a slug');
  return {
    id,
    name: info.title.slice(0, 200),
    description: typeof info.description === 'string' ? info.description.slice(0, 4000) : null,
    version: typeof info.version === 'string' ? info.version : null,
    basePath: overrides.basePath ?? `/${id}`,
    upstream: { targets: [{ url: upstreamUrl }], ...(overrides.mock ? { mock: {} } : {}) },
    routes,
    openapi: doc,
  };
}

/** One route per path with the methods of its operations; `at` names the document in errors. */
export function routesFromOpenApi(doc: Record<string, unknown>, at: string): Record<string, unknown>[] {
  const paths = doc.paths;
  if (!paths || typeof paths !== 'object') throw invalid(`${at}.paths`, 'is required');
  const routes: Record<string, unknown>[] = [];
  for (const [path, item] of Object.entries(paths as Record<string, unknown>)) {
    if (!path.startsWith('/') || !item || typeof item !== 'object') continue;
    const methods = Object.keys(item)
      .filter((k) => METHODS.has(k))
      .map((k) => k.toUpperCase());
    if (methods.length === 0) continue;
    routes.push({ path: path.replace(/\{([^}]+)\}/g, ':$1'), methods });
  }
  if (routes.length === 0) throw invalid(`${at}.paths`, 'has no operations');
  return routes;
}

/** `https://{region}.example.com` with `variables.region.default` -> the default filled in. */
function withVariableDefaults(url: string, variables: unknown): string {
  const vars = (variables && typeof variables === 'object' ? variables : {}) as Record<string, { default?: unknown }>;
  return url.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const value = vars[name]?.default;
    return typeof value === 'string' || typeof value === 'number' ? String(value) : whole;
  });
}

export interface ImportedPlan {
  id: string;
  name: string;
  description: string;
  security: { type: string; config: Record<string, unknown> };
  status: 'published' | 'staging';
}

/**
 * One plan per security scheme (OpenAPI 3 `components.securitySchemes`, Swagger 2
 * `securityDefinitions`). An API key is complete as it stands, so its plan is published; bearer,
 * OAuth 2 and OpenID Connect schemes need an issuer or keys the document does not give, so their
 * plans stay in `staging` for the publisher to complete. Other schemes (basic, mutual TLS) are left out.
 */
export function plansFromSecuritySchemes(doc: Record<string, unknown>): ImportedPlan[] {
  const components = (doc.components ?? {}) as { securitySchemes?: unknown };
  const schemes = (components.securitySchemes ?? doc.securityDefinitions ?? {}) as Record<string, unknown>;
  const result: ImportedPlan[] = [];
  for (const [name, raw] of Object.entries(schemes)) {
    if (!raw || typeof raw !== 'object') continue;
    const scheme = raw as { type?: unknown; in?: unknown; name?: unknown; scheme?: unknown; description?: unknown };
    const id = slugify(name);
    const from = `From the OpenAPI security scheme "${name}".`;
    if (scheme.type === 'apiKey' && typeof scheme.name === 'string' && scheme.name !== '') {
      if (scheme.in !== 'header' && scheme.in !== 'query') continue;
      const config = scheme.in === 'header' ? { header: scheme.name } : { query: scheme.name };
      result.push({ id, name, description: from, security: { type: 'api-key', config }, status: 'published' });
    } else if (scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'bearer') {
      result.push(staging(id, name, from, 'jwt'));
    } else if (scheme.type === 'oauth2' || scheme.type === 'openIdConnect') {
      result.push(staging(id, name, from, 'oauth2'));
    }
  }
  return result;
}

function staging(id: string, name: string, from: string, type: string): ImportedPlan {
  return {
    id,
    name,
    description: `${from} Complete its ${type} settings, then publish it.`,
    security: { type, config: {} },
    status: 'staging',
  };
}

export interface RouteChanges {
  added: string[];
  removed: string[];
  changed: { path: string; methodsAdded: string[]; methodsRemoved: string[] }[];
}

type RouteLike = { path?: unknown; methods?: unknown } & Record<string, unknown>;

/**
 * The derived routes merged onto the current ones: a path kept keeps its other settings (route
 * policies, id), only its methods follow the document. Also says what changed, by path.
 */
export function mergeRoutes(
  current: RouteLike[] | null,
  derived: RouteLike[],
): { routes: Record<string, unknown>[]; changes: RouteChanges } {
  const before = new Map((current ?? []).map((r) => [String(r.path), r]));
  const changes: RouteChanges = { added: [], removed: [], changed: [] };
  const routes = derived.map((route) => {
    const path = String(route.path);
    const old = before.get(path);
    if (!old) {
      changes.added.push(path);
      return route;
    }
    const was = new Set((old.methods as string[] | undefined) ?? []);
    const now = new Set((route.methods as string[] | undefined) ?? []);
    const methodsAdded = [...now].filter((m) => !was.has(m));
    const methodsRemoved = [...was].filter((m) => !now.has(m));
    if (methodsAdded.length > 0 || methodsRemoved.length > 0)
      changes.changed.push({ path, methodsAdded, methodsRemoved });
    return { ...old, methods: route.methods };
  });
  const kept = new Set(derived.map((r) => String(r.path)));
  changes.removed = [...before.keys()].filter((p) => !kept.has(p));
  return { routes, changes };
}
