/**
 * Routing: which API and route serve a request, decided from the compiled config and the request line and
 * headers alone. Pure (no I/O, no clock, nothing kept): the request path calls it once per request, tests call
 * it with plain objects.
 */
import { GatewayError } from '@gatehouse/core';
import type { CompiledApi, CompiledConfig, CompiledRoute } from './compile.js';
import { checkHost, type HostSource } from './host.js';
import { isPlainPath, normalizePath } from './path-normalize.js';

/** What routing reads from a request: its line, and the headers that carry its authority. */
export interface RoutableRequest extends HostSource {
  method?: string | undefined;
  url?: string | undefined;
}

export interface Routed {
  ok: true;
  api: CompiledApi;
  route: CompiledRoute;
  /** Route parameters; undefined for an API without routes. */
  params: Record<string, string> | undefined;
  /** The path as routed, in canonical form (what policies see as originalPath). */
  pathname: string;
  /** The path sent upstream: `pathname` without the API's base path when it strips it. */
  forwardPath: string;
  /** The query string without its `?`. */
  rawQuery: string;
  /** The validated authority; undefined for an HTTP/1.0 request without Host, or an empty Host. */
  host: string | undefined;
}

export interface NotRouted {
  ok: false;
  error: GatewayError;
  /** The API when one matched but none of its routes did (it still counts the request in metrics and logs). */
  api: CompiledApi | undefined;
}

export type Routing = Routed | NotRouted;

export function routeRequest(config: Pick<CompiledConfig, 'router' | 'settings'>, req: RoutableRequest): Routing {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  let pathname = q === -1 ? url : url.slice(0, q);
  const rawQuery = q === -1 ? '' : url.slice(q + 1);
  if (pathname.charCodeAt(0) !== 47 /* / */) return refused('bad_request', 'request target must be an absolute path');
  const hostCheck = checkHost(req);
  if (!hostCheck.ok) return refused('bad_request', hostCheck.reason);
  const host = hostCheck.host;
  // One meaning for every backend: routed and forwarded in canonical form, ambiguous forms refused.
  if (!isPlainPath(pathname)) {
    const normalized = normalizePath(pathname, config.settings.escapedSlashes);
    if (!normalized.ok) return refused('bad_request', normalized.reason);
    pathname = normalized.path;
  }

  const mount = config.router.match(host, pathname);
  if (!mount) return refused('no_route', `no API serves ${pathname}`);
  const api = mount.value;
  let forwardPath = pathname;
  if (api.stripBasePath && mount.basePath !== '/') {
    forwardPath = pathname.slice(mount.basePath.length);
    if (forwardPath === '') forwardPath = '/';
  }

  if (!api.routes) {
    return { ok: true, api, route: api.catchAll!, params: undefined, pathname, forwardPath, rawQuery, host };
  }
  const matches = api.routes.matchAll(forwardPath);
  if (matches.length === 0) return refused('no_route', `API "${api.id}" has no route for ${forwardPath}`, api);
  const found = matches.find((m) => m.value.methods === undefined || m.value.methods.has(req.method!));
  if (!found) {
    const allow = [...new Set(matches.flatMap((m) => [...(m.value.methods ?? [])]))].join(', ');
    return {
      ok: false,
      error: new GatewayError('method_not_allowed', {
        detail: `${req.method} is not allowed here`,
        headers: { allow },
      }),
      api,
    };
  }
  return { ok: true, api, route: found.value, params: found.params, pathname, forwardPath, rawQuery, host };
}

function refused(code: 'bad_request' | 'no_route', detail: string, api?: CompiledApi): NotRouted {
  return { ok: false, error: new GatewayError(code, { detail }), api };
}
