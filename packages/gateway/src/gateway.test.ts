import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from './testing/harness.js';

const quickstart = parse(readFileSync(new URL('../../../examples/quickstart.yaml', import.meta.url), 'utf8'));

/** The quickstart document pointed at test upstreams on ephemeral ports. */
function quickstartOn(orders: TestUpstream[], status: TestUpstream) {
  const doc = structuredClone(quickstart);
  doc.apis[0].upstream.targets = orders.map((u) => ({ url: u.url }));
  doc.apis[1].upstream.targets = [{ url: status.url }];
  doc.apis[0].plans[0].policies[0].config.limit = 10_000;
  return doc;
}

/** A promise and its resolve: lets an upstream hold a request until the test says so (no timing windows). */
function signal<T = void>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let out = '';
    socket.on('data', (d) => {
      out += d.toString();
    });
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    setTimeout(() => {
      socket.destroy();
      resolve(out);
    }, 2000).unref();
  });
}

describe('gateway on the quickstart document', () => {
  let orders: TestUpstream[];
  let status: TestUpstream;
  let gw: TestGateway;
  const key = { 'x-api-key': 'acme-demo-key-0001' };

  beforeAll(async () => {
    orders = [await startTestUpstream(), await startTestUpstream()];
    status = await startTestUpstream();
    gw = await startTestGateway(quickstartOn(orders, status));
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([...orders, status].map((u) => u.close()));
  });

  it('proxies with the key, strips the basePath and the key header, sets forwarding headers', async () => {
    const res = await gw.fetch('/orders/items/42?expand=lines', {
      headers: { ...key, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { url: string; headers: Record<string, string> };
    expect(echoed.url).toBe('/items/42?expand=lines');
    expect(echoed.headers['x-api-key']).toBeUndefined();
    expect(echoed.headers['x-gateway']).toBe('gatehouse');
    expect(echoed.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echoed.headers['x-forwarded-proto']).toBe('http');
    expect(echoed.headers['x-forwarded-host']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(echoed.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(echoed.headers.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(echoed.headers.traceparent).not.toContain('b7ad6b7169203331');
    expect(res.headers.get('x-request-id')).toBe(echoed.headers['x-request-id']);
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('starts a trace named after a generated request id, never after a client-chosen one', async () => {
    const generated = (await (await gw.fetch('/orders/t', { headers: key })).json()) as {
      headers: Record<string, string>;
    };
    const requestId = generated.headers['x-request-id']!;
    expect(generated.headers.traceparent).toMatch(new RegExp(`^00-${requestId}-[0-9a-f]{16}-00$`));

    const chosen = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const echoed = (await (await gw.fetch('/orders/t', { headers: { ...key, 'x-request-id': chosen } })).json()) as {
      headers: Record<string, string>;
    };
    expect(echoed.headers['x-request-id']).toBe(chosen);
    expect(echoed.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(echoed.headers.traceparent).not.toContain(chosen);
  });

  it('removes hop-by-hop headers, including those named in Connection', async () => {
    const raw = await rawRequest(
      gw.port,
      'GET /orders/hop HTTP/1.1\r\nHost: x\r\nX-Api-Key: acme-demo-key-0001\r\nConnection: close, x-drop-me\r\nX-Drop-Me: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nX-Keep-Me: 1\r\n\r\n',
    );
    const echoed = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { headers: Record<string, string> };
    expect(echoed.headers['x-drop-me']).toBeUndefined();
    expect(echoed.headers['keep-alive']).toBeUndefined();
    expect(echoed.headers.te).toBeUndefined();
    expect(echoed.headers['x-keep-me']).toBe('1');
  });

  it('propagates a client request id', async () => {
    const res = await gw.fetch('/orders/x', { headers: { ...key, 'x-request-id': 'client-chosen-id' } });
    const echoed = (await res.json()) as { headers: Record<string, string> };
    expect(echoed.headers['x-request-id']).toBe('client-chosen-id');
    expect(res.headers.get('x-request-id')).toBe('client-chosen-id');
  });

  it('balances round-robin over both targets', async () => {
    const before = orders.map((o) => o.requests.length);
    for (let i = 0; i < 4; i++) await (await gw.fetch('/orders/rr', { headers: key })).text();
    expect(orders.map((o, i) => o.requests.length - before[i]!)).toEqual([2, 2]);
  });

  it('answers 401 problem+json without a key, and with a wrong key', async () => {
    for (const headers of [{}, { 'x-api-key': 'wrong-key-123' }] as Record<string, string>[]) {
      const res = await gw.fetch('/orders/items', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        status: 401,
        code: 'unauthorized',
        type: expect.stringContaining('unauthorized'),
        title: expect.any(String),
      });
      expect(JSON.stringify(body)).not.toContain('wrong-key-123');
    }
  });

  it('serves the mock route on the keyless plan without calling the upstream', async () => {
    const before = status.requests.length;
    const res = await gw.fetch('/status/ping');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ pong: true });
    expect(status.requests.length).toBe(before);
  });

  it('answers 405 for a method the route does not allow and 404 for unknown routes and APIs', async () => {
    const post = await gw.fetch('/status/ping', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toContain('GET');
    expect(((await post.json()) as { code: string }).code).toBe('method_not_allowed');
    const unknownRoute = await gw.fetch('/status/nope');
    expect(unknownRoute.status).toBe(404);
    expect(((await unknownRoute.json()) as { code: string }).code).toBe('no_route');
    const unknownApi = await gw.fetch('/nothing-here');
    expect(unknownApi.status).toBe(404);
  });

  it('does not let dot segments escape the basePath', async () => {
    const res = await rawRequest(
      gw.port,
      'GET /status/../orders/items HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(res).toMatch(/^HTTP\/1\.1 401/);
  });

  it('rate-limits the gold plan per subscription with RateLimit headers and 429', async () => {
    const doc = quickstartOn(orders, status);
    doc.apis[0].plans[0].policies[0].config = { limit: 3, window: '1h' };
    const limited = await startTestGateway(doc);
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await limited.fetch('/orders/rl', { headers: key });
        statuses.push(last.status);
        if (i < 3) {
          expect(last.headers.get('ratelimit-limit')).toBe('3');
          expect(last.headers.get('ratelimit-remaining')).toBe(String(2 - i));
        }
        await last.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last!.headers.get('ratelimit-remaining')).toBe('0');
    } finally {
      await limited.close();
    }
  });

  it('refuses requests with both Content-Length and Transfer-Encoding', async () => {
    const res = await rawRequest(
      gw.port,
      'POST /status/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    expect(res).toMatch(/^HTTP\/1\.1 400/);
    expect(res).toContain('application/problem+json');
  });

  it('answers 431 problem+json when headers are too large', async () => {
    const res = await rawRequest(
      gw.port,
      `GET /status/ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(res).toMatch(/^HTTP\/1\.1 431/);
    expect(res).toContain('"code":"headers_too_large"');
  });

  it('writes an access record per request without credentials', async () => {
    gw.records.length = 0;
    await (await gw.fetch('/orders/logged', { headers: key })).text();
    const record = await vi.waitFor(() => gw.records.find((r) => r.path === '/orders/logged') ?? Promise.reject());
    expect(record).toMatchObject({
      api: 'orders',
      plan: 'gold',
      application: 'acme-mobile',
      status: 200,
      method: 'GET',
    });
    expect(record!.latencyMs).toBeGreaterThan(0);
    expect(record!.bytesOut).toBeGreaterThan(0);
    expect(JSON.stringify(gw.records)).not.toContain('acme-demo-key-0001');
  });

  it('exposes health, readiness and Prometheus metrics on the admin port', async () => {
    expect((await fetch(`${gw.adminUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${gw.adminUrl}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/gatehouse_requests_total\{api="orders",plan="gold",status="200"\} \d+/);
    expect(metrics).toContain('gatehouse_request_duration_seconds_bucket');
    expect(metrics).toMatch(/gatehouse_upstream_duration_seconds_count\{api="orders"\} [1-9]/);
    expect(metrics).toMatch(/gatehouse_config_info\{version="[0-9a-f]{12}"\} 1/);
    expect(metrics).toContain('gatehouse_redis_fallbacks_total');
  });
});

describe('upstream failures', () => {
  it('answers 502 when the target refuses connections and 504 when it is too slow', async () => {
    // Never answers (closing the upstream ends the exchange): only the gateway's timeout can produce the 504.
    const slow = await startTestUpstream(() => {});
    const gw = await startTestGateway({
      version: 1,
      apis: [
        {
          id: 'down',
          name: 'Down',
          basePath: '/down',
          upstream: { targets: [{ url: 'http://127.0.0.1:1' }], retries: { attempts: 0 } },
          plans: [{ id: 'p', security: { type: 'keyless' } }],
        },
        {
          id: 'slow',
          name: 'Slow',
          basePath: '/slow',
          upstream: { targets: [{ url: slow.url }], timeouts: { response: '200ms' } },
          plans: [{ id: 'p', security: { type: 'keyless' } }],
        },
      ],
    });
    try {
      const down = await gw.fetch('/down/x');
      expect(down.status).toBe(502);
      expect(((await down.json()) as { code: string }).code).toBe('upstream_unavailable');
      const late = await gw.fetch('/slow/x');
      expect(late.status).toBe(504);
      expect(((await late.json()) as { code: string }).code).toBe('upstream_timeout');
    } finally {
      await gw.close();
      await slow.close();
    }
  });
});

describe('streaming and protocols', () => {
  it('streams server-sent events as they arrive', async () => {
    // The upstream sends the second event only once the client has read the first: a gateway that
    // buffered the body would deliver nothing until the safety timer ends the stream.
    const firstRead = signal();
    let ended = false;
    const upstream = await startTestUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      const safety = setTimeout(firstRead.resolve, 5_000);
      void firstRead.promise.then(() => {
        clearTimeout(safety);
        ended = true;
        res.end('data: two\n\n');
      });
    });
    const gw = await startTestGateway(simpleDocument(upstream.url));
    try {
      const res = await gw.fetch('/test/events');
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(Buffer.from(first.value!).toString()).toBe('data: one\n\n');
      expect(ended).toBe(false);
      firstRead.resolve();
      let rest = '';
      for (let r = await reader.read(); !r.done; r = await reader.read()) rest += Buffer.from(r.value).toString();
      expect(rest).toBe('data: two\n\n');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  it('streams a large request body to the upstream without buffering it', async () => {
    const upstream = await startTestUpstream((_req, res, body) => res.end(String(body.length)));
    const gw = await startTestGateway(simpleDocument(upstream.url));
    try {
      const size = 8 * 1024 * 1024;
      const res = await gw.fetch('/test/upload', { method: 'POST', body: Buffer.alloc(size, 1) });
      expect(await res.text()).toBe(String(size));
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  it('proxies WebSocket upgrades', async () => {
    const upstream = await startTestUpstream();
    upstream.server.on('upgrade', (req, socket) => {
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Path: ${req.url}\r\n\r\n`,
      );
      socket.on('data', (d: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
      socket.on('end', () => socket.end());
    });
    const gw = await startTestGateway(simpleDocument(upstream.url));
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const req = http.request({
          port: gw.port,
          host: '127.0.0.1',
          path: '/test/socket',
          headers: { connection: 'Upgrade', upgrade: 'websocket' },
        });
        req.on('upgrade', (res, socket) => {
          expect(res.statusCode).toBe(101);
          expect(res.headers['x-path']).toBe('/socket');
          socket.write('hello');
          socket.once('data', (d: Buffer) => {
            resolve(d.toString());
            socket.destroy();
          });
        });
        req.on('error', reject);
        req.end();
      });
      expect(reply).toBe('echo:hello');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});

describe('hot reload', () => {
  it('swaps a valid document, refuses an invalid one and keeps serving the last good config', async () => {
    const a = await startTestUpstream((_q, res) => res.end('A'));
    const b = await startTestUpstream((_q, res) => res.end('B'));
    const gw = await startTestGateway(simpleDocument(a.url));
    try {
      expect(await (await gw.fetch('/test/x')).text()).toBe('A');
      const bad = gw.apply(simpleDocument('not a url'));
      expect(bad.ok).toBe(false);
      expect(bad.problems[0]!.path).toBe('apis[0].upstream.targets[0].url');
      expect(await (await gw.fetch('/test/x')).text()).toBe('A');
      const unknownPolicy = gw.apply(simpleDocument(b.url, { policies: [{ policy: 'no-such-policy' }] }));
      expect(unknownPolicy.ok).toBe(false);
      expect(unknownPolicy.problems[0]!.path).toBe('apis[0].policies[0].policy');
      expect(gw.apply(simpleDocument(b.url)).ok).toBe(true);
      expect(await (await gw.fetch('/test/x')).text()).toBe('B');
    } finally {
      await gw.close();
      await a.close();
      await b.close();
    }
  });

  it("applies a new document's listener limits to new connections", async () => {
    const upstream = await startTestUpstream((_q, res) => res.end('ok'));
    const gw = await startTestGateway(simpleDocument(upstream.url));
    const request = `GET /test/x HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(6_000)}\r\nConnection: close\r\n\r\n`;
    try {
      expect(await rawRequest(gw.port, request)).toMatch(/^HTTP\/1\.1 200/);
      expect(gw.apply(simpleDocument(upstream.url, {}, { gateway: { maxHeaderSize: '4kb' } })).ok).toBe(true);
      expect(await rawRequest(gw.port, request)).toMatch(/^HTTP\/1\.1 431/);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  it('fails no request across reloads under load; in-flight requests finish on their config', async () => {
    // The pinned request is held by the first config's upstream until every reload is done.
    const pinnedArrived = signal();
    const reloadsDone = signal();
    const slow = await startTestUpstream((req, res) => {
      if (req.url !== '/pinned') return void setTimeout(() => res.end('slow'), 5);
      pinnedArrived.resolve();
      void reloadsDone.promise.then(() => res.end('slow'));
    });
    const fast = await startTestUpstream((_q, res) => res.end('fast'));
    const gw = await startTestGateway(simpleDocument(slow.url));
    try {
      const inflight = gw.fetch('/test/pinned').then((r) => r.text());
      await pinnedArrived.promise;
      const statuses: number[] = [];
      let stop = false;
      const load = (async () => {
        const workers = Array.from({ length: 8 }, async () => {
          while (!stop) {
            const res = await gw.fetch('/test/load');
            statuses.push(res.status);
            await res.arrayBuffer();
          }
        });
        await Promise.all(workers);
      })();
      // Each config serves requests before the next reload: at least 8 finish between two reloads,
      // however slow the machine (counted, not timed).
      for (let i = 0; i < 10; i++) {
        expect(gw.apply(simpleDocument(i % 2 === 0 ? fast.url : slow.url, { name: `v${i}` })).ok).toBe(true);
        const before = statuses.length;
        await vi.waitFor(() => expect(statuses.length).toBeGreaterThanOrEqual(before + 8), { timeout: 10_000 });
      }
      stop = true;
      await load;
      reloadsDone.resolve();
      expect(await inflight).toBe('slow');
      expect(statuses.length).toBeGreaterThanOrEqual(80);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
    } finally {
      await gw.close();
      await slow.close();
      await fast.close();
    }
  });
});

describe('client going away', () => {
  async function hangingUpstream(sendHeaders: boolean) {
    let upstreamClosed: () => void = () => {};
    const closed = new Promise<void>((resolve) => {
      upstreamClosed = resolve;
    });
    const upstream = await startTestUpstream((_req, res) => {
      res.on('close', () => upstreamClosed());
      if (sendHeaders) {
        res.writeHead(200);
        res.write('partial');
      }
    });
    return { upstream, closed };
  }

  it('aborts the upstream exchange while waiting for its headers, and logs 499', async () => {
    const { upstream, closed } = await hangingUpstream(false);
    const gw = await startTestGateway(simpleDocument(upstream.url));
    try {
      const controller = new AbortController();
      const pending = gw.fetch('/test/hang', { signal: controller.signal }).catch(() => 'aborted');
      await vi.waitFor(() => expect(upstream.requests).toHaveLength(1));
      controller.abort();
      expect(await pending).toBe('aborted');
      await closed;
      await vi.waitFor(() =>
        expect(gw.records.find((r) => r.path === '/test/hang')).toMatchObject({ status: 499, aborted: true }),
      );
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  it('aborts the upstream exchange mid-body', async () => {
    const { upstream, closed } = await hangingUpstream(true);
    const gw = await startTestGateway(simpleDocument(upstream.url));
    try {
      const controller = new AbortController();
      const res = await gw.fetch('/test/hang', { signal: controller.signal });
      expect(res.status).toBe(200);
      controller.abort();
      await closed;
      await vi.waitFor(() =>
        expect(gw.records.find((r) => r.path === '/test/hang')).toMatchObject({ status: 200, aborted: true }),
      );
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});

describe('in-flight gauge', () => {
  it('counts requests still being served at scrape time', async () => {
    const release = signal();
    const slow = await startTestUpstream((_q, res) => void release.promise.then(() => res.end('done')));
    const gw = await startTestGateway(simpleDocument(slow.url));
    try {
      const inflight = gw.fetch('/test/slow').then((r) => r.text());
      await vi.waitFor(() => expect(slow.requests).toHaveLength(1));
      expect(await (await fetch(`${gw.adminUrl}/metrics`)).text()).toMatch(/^gatehouse_requests_in_flight 1$/m);
      release.resolve();
      expect(await inflight).toBe('done');
      expect(await (await fetch(`${gw.adminUrl}/metrics`)).text()).toMatch(/^gatehouse_requests_in_flight 0$/m);
    } finally {
      await gw.close();
      await slow.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes in-flight requests and refuses new connections', async () => {
    const release = signal();
    const slow = await startTestUpstream((_q, res) => void release.promise.then(() => res.end('done')));
    const gw = await startTestGateway(simpleDocument(slow.url));
    const inflight = gw.fetch('/test/slow').then(async (r) => ({ status: r.status, body: await r.text() }));
    await vi.waitFor(() => expect(slow.requests).toHaveLength(1));
    const closing = gw.close();
    // The listener stops at once (close is synchronous up to here); the held request is still in flight.
    await expect(fetch(`${gw.url}/test/new`)).rejects.toThrow();
    release.resolve();
    expect(await inflight).toEqual({ status: 200, body: 'done' });
    await closing;
    await slow.close();
  });
});

describe('response headers on the way out', () => {
  it("sends one X-Request-Id (the gateway's) and applies response policies' edits to the upstream's headers", async () => {
    const upstream = await startTestUpstream((_q, res) => {
      res.writeHead(200, [
        'X-Request-Id',
        'upstream-own-id',
        'X-Powered-By',
        'Express',
        'Vary',
        'Accept',
        'Set-Cookie',
        'a=1',
        'Set-Cookie',
        'b=2',
        'Content-Length',
        '2',
      ]);
      res.end('ok');
    });
    const edited = simpleDocument(upstream.url, {
      id: 'edited',
      basePath: '/edited',
      policies: [
        { policy: 'set-headers', config: { response: { remove: ['x-powered-by'], add: { vary: 'Origin' } } } },
        { policy: 'rate-limit', config: { limit: 100, window: '1m' } },
      ],
    });
    const plain = simpleDocument(upstream.url);
    const gw = await startTestGateway({
      ...plain,
      apis: [...(plain.apis as unknown[]), ...(edited.apis as unknown[])],
    });
    try {
      for (const path of ['/test/a', '/edited/a']) {
        const text = await rawRequest(gw.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        const head = text.split('\r\n\r\n')[0]!.toLowerCase();
        expect(head.match(/^x-request-id: /gm)).toHaveLength(1);
        expect(head).not.toContain('upstream-own-id');
        expect(head.match(/^set-cookie: /gm)).toHaveLength(2);
        if (path === '/edited/a') {
          expect(head).not.toContain('x-powered-by');
          expect(head.match(/^vary: .*$/gm)).toEqual(['vary: accept', 'vary: origin']);
          expect(head).toMatch(/^ratelimit-limit: 100$/m);
          expect(head).toMatch(/^ratelimit-remaining: 99$/m);
        } else expect(head).toContain('x-powered-by: express');
      }
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});

describe('trusted proxies (gateway.trustProxy)', () => {
  it('keeps and extends X-Forwarded-* only from listed peers and finds the client behind them', async () => {
    const upstream = await startTestUpstream();
    const forwarded = {
      'x-forwarded-for': '198.51.100.7, 203.0.113.9, 10.0.0.2',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example.com',
    };
    const trusted = await startTestGateway(
      simpleDocument(upstream.url, {}, { gateway: { trustProxy: ['127.0.0.1', '10.0.0.0/8'] } }),
    );
    const untrusted = await startTestGateway(
      simpleDocument(upstream.url, {}, { gateway: { trustProxy: ['10.0.0.0/8'] } }),
    );
    try {
      const echoed = (await (await trusted.fetch('/test/a', { headers: forwarded })).json()) as {
        headers: Record<string, string>;
      };
      expect(echoed.headers['x-forwarded-for']).toBe('198.51.100.7, 203.0.113.9, 10.0.0.2, 127.0.0.1');
      expect(echoed.headers['x-forwarded-proto']).toBe('https');
      expect(echoed.headers['x-forwarded-host']).toBe('api.example.com');
      expect(trusted.records.at(-1)?.clientIp).toBe('203.0.113.9');

      const direct = (await (await untrusted.fetch('/test/b', { headers: forwarded })).json()) as {
        headers: Record<string, string>;
      };
      expect(direct.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(direct.headers['x-forwarded-proto']).toBe('http');
      expect(direct.headers['x-forwarded-host']).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(untrusted.records.at(-1)?.clientIp).toBe('127.0.0.1');
    } finally {
      await trusted.close();
      await untrusted.close();
      await upstream.close();
    }
  });

  it('refuses a document whose list holds something that is not an address or range', async () => {
    await expect(
      startTestGateway(simpleDocument('http://127.0.0.1:9', {}, { gateway: { trustProxy: ['10.0.0.0/8', 'lb-1'] } })),
    ).rejects.toThrow(/gateway\.trustProxy\[1\]/);
  });
});
