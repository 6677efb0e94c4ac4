/**
 * Attack class: cross-origin reads of a gateway API from a page the operator did not allow (the
 * portal's try-it console is the one allowed page). Preflights are covered beside the policy
 * (packages/policies/src/cors/gateway.test.ts); these are the ACTUAL requests a hostile page can make
 * without a preflight (simple GET/POST) or after forging one: a non-allowed Origin gets no
 * Access-Control-* header at all, even when the upstream itself answers `*` with credentials;
 * crafted Origins (`null`, the allowed host as a prefix or a suffix of another, another scheme or
 * port, lists, paths, whitespace) are never reflected; credentials never go with a wildcard (such a
 * config is refused, as is `null`); and every answer whose CORS headers depend on Origin says
 * `Vary: Origin`, so a shared cache cannot hand one origin's answer to another.
 * Real gateway and upstream on loopback.
 */
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PORTAL = 'https://portal.example.com';
const KEY = 'cors-hostile-key-0001';

const CRAFTED = [
  'null',
  'https://portal.example.com.evil.com',
  'https://evilportal.example.com',
  'https://portal.example.com.',
  'https://evil.com/https://portal.example.com',
  'https://evil.com?https://portal.example.com',
  'https://evil.com#https://portal.example.com',
  'https://portal.example.com@evil.com',
  'http://portal.example.com',
  'https://portal.example.com:8443',
  'https://portal.example.com, https://evil.com',
  'https://evil.com https://portal.example.com',
  'https://portal.example.co',
  'https://portal%2eexample.com',
  'file://',
  '*',
];

const cors = (config: Record<string, unknown>) => ({ policy: 'cors', config });

describe('CORS on actual cross-origin requests', () => {
  let upstream: TestUpstream;
  let exact: TestGateway;
  let wildcard: TestGateway;
  let open: TestGateway;

  beforeAll(async () => {
    // A careless (or hostile) upstream that opens itself to every origin with credentials.
    upstream = await startTestUpstream((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'access-control-allow-origin': '*',
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'x-secret',
        'x-secret': 'upstream-only',
      });
      res.end('{"balance":42}');
    });
    const keyed = (policies: unknown[]) => ({
      ...simpleDocument(upstream.url, { plans: [{ id: 'gold', security: { type: 'api-key' } }], policies }),
      applications: [
        { id: 'acme', name: 'ACME', subscriptions: [{ api: 'test', plan: 'gold', apiKeys: [{ key: KEY }] }] },
      ],
    });
    // As docs/portal.md configures try-it: the portal's origin only, no credentials.
    exact = await startTestGateway(
      keyed([
        cors({ origins: [PORTAL], allowHeaders: ['content-type', 'x-api-key'], exposeHeaders: ['x-request-id'] }),
      ]),
    );
    wildcard = await startTestGateway(keyed([cors({ origins: ['https://*.example.com'], credentials: true })]));
    open = await startTestGateway(keyed([cors({ origins: ['*'] })]));
  });
  afterAll(async () => {
    await Promise.all([exact?.close(), wildcard?.close(), open?.close()]);
    await upstream?.close();
  });

  const corsHeaders = (res: Response) => {
    const names: string[] = [];
    res.headers.forEach((_value, name) => {
      if (name.startsWith('access-control-')) names.push(name);
    });
    return names;
  };
  const varies = (res: Response) =>
    (res.headers.get('vary') ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .includes('origin');

  it('gives the configured portal origin its headers, and nothing of the upstream’s own', async () => {
    const res = await exact.fetch('/test/accounts', { headers: { origin: PORTAL, 'x-api-key': KEY } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('access-control-expose-headers')).toBe('x-request-id');
    expect(varies(res)).toBe(true);
  });

  it('sends no Access-Control-* header to a non-allowed origin, on GET, POST and errors', async () => {
    const attempts: [string, RequestInit][] = [
      ['/test/accounts', { headers: { origin: 'https://evil.com', 'x-api-key': KEY } }],
      [
        '/test/transfers',
        {
          method: 'POST',
          headers: { origin: 'https://evil.com', 'x-api-key': KEY, 'content-type': 'text/plain' },
          body: '{"to":"attacker"}',
        },
      ],
      ['/test/accounts', { headers: { origin: 'https://evil.com' } }], // 401 without a key
      ['/nowhere', { headers: { origin: 'https://evil.com' } }], // 404 of the gateway itself
    ];
    for (const [path, init] of attempts) {
      const res = await exact.fetch(path, init);
      await res.arrayBuffer();
      expect(corsHeaders(res), `${init.method ?? 'GET'} ${path}`).toEqual([]);
    }
  });

  it('never reflects a crafted Origin, exact or wildcard configuration', async () => {
    for (const gw of [exact, wildcard]) {
      // (evilportal.example.com is a real subdomain: the wildcard allows it by design.)
      for (const origin of CRAFTED.filter((o) => gw === exact || !o.startsWith('https://evilportal.'))) {
        const res = await gw.fetch('/test/accounts', { headers: { origin, 'x-api-key': KEY } });
        await res.arrayBuffer();
        expect(corsHeaders(res), origin).toEqual([]);
      }
    }
    // Suffix tricks against the wildcard: the allowed domain must be the END of the host.
    for (const origin of ['https://a.example.com.evil.com', 'https://example.com', 'https://evilexample.com']) {
      const res = await wildcard.fetch('/test/accounts', { headers: { origin, 'x-api-key': KEY } });
      await res.arrayBuffer();
      expect(corsHeaders(res), origin).toEqual([]);
    }
  });

  it('refuses forged preflights for crafted origins without any Access-Control-* header', async () => {
    for (const origin of CRAFTED) {
      const res = await exact.fetch('/test/accounts', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'x-api-key' },
      });
      await res.arrayBuffer();
      expect(res.status, origin).toBe(403);
      expect(corsHeaders(res), origin).toEqual([]);
    }
  });

  it('says Vary: Origin whenever the answer depends on the Origin (allowed, refused or absent)', async () => {
    for (const headers of [
      { origin: PORTAL, 'x-api-key': KEY },
      { origin: 'https://evil.com', 'x-api-key': KEY },
      { 'x-api-key': KEY },
    ] as Record<string, string>[]) {
      const res = await exact.fetch('/test/accounts', { headers });
      await res.arrayBuffer();
      expect(varies(res), JSON.stringify(headers)).toBe(true);
    }
  });

  it('never allows credentials with a wildcard origin', async () => {
    // `*` without credentials: any page may read, but never with the visitor's cookies.
    for (const origin of [PORTAL, 'https://evil.com', 'null']) {
      const res = await open.fetch('/test/accounts', { headers: { origin, 'x-api-key': KEY } });
      await res.arrayBuffer();
      expect(res.headers.get('access-control-allow-origin'), origin).toBe('*');
      expect(res.headers.get('access-control-allow-credentials'), origin).toBeNull();
    }
    // Credentials with a subdomain wildcard: the matching origin is echoed, never `*`.
    const sub = await wildcard.fetch('/test/accounts', { headers: { origin: PORTAL, 'x-api-key': KEY } });
    await sub.arrayBuffer();
    expect(sub.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(sub.headers.get('access-control-allow-credentials')).toBe('true');
    // `*` with credentials would reflect every origin with the visitor's cookies: refused at load.
    await expect(
      startTestGateway(simpleDocument(upstream.url, { policies: [cors({ origins: ['*'], credentials: true })] })),
    ).rejects.toThrow(/credentials/);
    // The literal `null` origin (sandboxed frames, file: pages, redirects) cannot be allowed.
    await expect(
      startTestGateway(simpleDocument(upstream.url, { policies: [cors({ origins: ['null'] })] })),
    ).rejects.toThrow(/not an origin/);
  });
});
