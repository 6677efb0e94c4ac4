import { describe, expect, it } from 'vitest';
import { ApiRouter } from './api-router.js';
import type { CompiledApi, CompiledConfig, CompiledRoute } from './compile.js';
import { compileRoutePattern, RouteTable } from './route-matcher.js';
import { type RoutableRequest, routeRequest } from './routing.js';

function route(id: string, path: string, methods?: string[]): CompiledRoute {
  const none = { request: [], response: [], log: [] };
  return {
    id,
    path,
    ref: Object.freeze({ id, path }),
    methods: methods ? new Set(methods) : undefined,
    preSecurity: [],
    unauthenticated: none,
    byPlan: new Map(),
  };
}

function api(id: string, basePath: string, routes?: CompiledRoute[], stripBasePath = true): CompiledApi {
  return {
    id,
    name: id,
    basePath,
    stripBasePath,
    // Routing never touches the upstream.
    upstream: undefined as never,
    mock: undefined,
    routes: routes ? new RouteTable(routes.map((r) => compileRoutePattern(r.path, r))) : undefined,
    catchAll: routes ? undefined : route('*', '/*'),
    security: [],
  };
}

const orders = api('orders', '/orders', [route('list', '/', ['GET', 'HEAD']), route('one', '/:id', ['GET', 'PUT'])]);
const pets = api('pets', '/pets');
const kept = api('kept', '/kept', undefined, false);
const internal = api('internal', '/', undefined);

function config(escapedSlashes: 'reject' | 'keep' = 'reject'): Pick<CompiledConfig, 'router' | 'settings'> {
  const router = new ApiRouter<CompiledApi>();
  router.add(undefined, '/orders', orders);
  router.add(undefined, '/pets', pets);
  router.add(undefined, '/kept', kept);
  router.add(['internal.example.com'], '/', internal);
  return { router, settings: { escapedSlashes } as CompiledConfig['settings'] };
}

/** `null`: no Host header at all. */
function request(method: string, url: string, host: string | null = 'api.example.com'): RoutableRequest {
  return {
    method,
    url,
    headers: host === null ? {} : { host },
    rawHeaders: host === null ? [] : ['Host', host],
    httpVersionMajor: 1,
    httpVersionMinor: 1,
  };
}

describe('routeRequest', () => {
  it('matches an API by base path and a route by path and method, with its parameters', () => {
    const routed = routeRequest(config(), request('PUT', '/orders/42?expand=items'));
    expect(routed).toMatchObject({
      ok: true,
      api: { id: 'orders' },
      route: { id: 'one' },
      params: { id: '42' },
      pathname: '/orders/42',
      forwardPath: '/42',
      rawQuery: 'expand=items',
      host: 'api.example.com',
    });
  });

  it('serves every path of an API without routes from its catch-all, and keeps the base path when told to', () => {
    expect(routeRequest(config(), request('POST', '/pets/1/toys'))).toMatchObject({
      ok: true,
      route: { id: '*' },
      params: undefined,
      forwardPath: '/1/toys',
    });
    expect(routeRequest(config(), request('GET', '/kept/a'))).toMatchObject({ ok: true, forwardPath: '/kept/a' });
    expect(routeRequest(config(), request('GET', '/orders'))).toMatchObject({ ok: true, forwardPath: '/' });
  });

  it('routes by host before base path', () => {
    expect(routeRequest(config(), request('GET', '/x', 'internal.example.com'))).toMatchObject({
      ok: true,
      api: { id: 'internal' },
    });
    const elsewhere = routeRequest(config(), request('GET', '/x', 'other.example.com'));
    expect(elsewhere.ok).toBe(false);
    if (!elsewhere.ok) expect(elsewhere.error.code).toBe('no_route');
  });

  it('answers 405 with Allow when the path matches but the method does not, and keeps the API for the record', () => {
    const routed = routeRequest(config(), request('DELETE', '/orders/42'));
    expect(routed.ok).toBe(false);
    if (routed.ok) return;
    expect(routed.error.code).toBe('method_not_allowed');
    expect(routed.error.headers).toEqual({ allow: 'GET, PUT' });
    expect(routed.api?.id).toBe('orders');
  });

  it('refuses a path no API serves, and a path its API has no route for', () => {
    const none = routeRequest(config(), request('GET', '/nothing'));
    expect(none).toMatchObject({ ok: false, api: undefined });
    const noRoute = routeRequest(config(), request('GET', '/orders/1/2'));
    expect(noRoute.ok).toBe(false);
    if (noRoute.ok) return;
    expect(noRoute.error.code).toBe('no_route');
    expect(noRoute.api?.id).toBe('orders');
  });

  it('refuses targets that are not absolute paths, bad or missing hosts and ambiguous paths', () => {
    for (const [req, code] of [
      [request('GET', '*'), 'bad_request'],
      [request('GET', 'http://x/orders'), 'bad_request'],
      [request('GET', '/orders', 'bad host'), 'bad_request'],
      [request('GET', '/orders', null), 'bad_request'],
      [request('GET', '/orders/a%2Fb'), 'bad_request'],
    ] as const) {
      const routed = routeRequest(config(), req);
      expect(routed.ok, req.url).toBe(false);
      if (!routed.ok) expect(routed.error.code).toBe(code);
    }
  });

  it('routes the canonical form of a path', () => {
    expect(routeRequest(config(), request('GET', '/pets/./a/../b'))).toMatchObject({
      ok: true,
      api: { id: 'pets' },
      pathname: '/pets/b',
      forwardPath: '/b',
    });
  });
});
