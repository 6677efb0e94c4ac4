import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PolicyHandlers } from '../sdk/types.js';
import { createTestContext, type TestContextInit } from '../testing/context.js';
import { captureLogger, createPolicy, testPolicyEnv } from '../testing/index.js';
import { trafficShadowingPolicy } from './index.js';

interface Shadowed {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server;
let base: string;
let shadowed: Shadowed[] = [];
/** Responses held open by the `/hang` path, released after each test. */
const hanging: http.ServerResponse[] = [];
const created: PolicyHandlers[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      shadowed.push({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      if (req.url!.includes('hang')) hanging.push(res);
      else setTimeout(() => res.end('shadow answer'), 1000);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  shadowed = [];
  for (const res of hanging.splice(0)) res.end();
  vi.restoreAllMocks();
});

afterAll(async () => {
  await Promise.all(created.map((h) => h.close?.()));
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function policy(config: Record<string, unknown>, env = testPolicyEnv()) {
  const handlers = createPolicy(trafficShadowingPolicy, config, env);
  created.push(handlers);
  return handlers;
}

const post = (body: string, extra: TestContextInit = {}): TestContextInit => ({
  method: 'POST',
  path: '/orders',
  query: 'expand=items',
  headers: {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    authorization: 'Bearer real-token',
    'x-api-key': 'key-123',
    cookie: 'sid=1',
    connection: 'keep-alive',
    'x-trace': 't-9',
  },
  body,
  ...extra,
});

describe('traffic-shadowing', () => {
  it('copies method, path, query, headers and body without waiting and without touching the request', async () => {
    // The shadow holds its answer until afterEach and is never abandoned (1 h timeout): a request
    // phase that waited for it would never end.
    const handlers = policy({ url: `${base}/hang/`, headers: { 'X-Shadow': 'true' }, timeout: '1h' });
    const ctx = createTestContext(post('{"n":1}'));
    const headersBefore = { ...ctx.request.headers };
    await handlers.request!(ctx);
    expect(ctx.responded).toBe(false);
    expect(ctx.forwardedBody()!.toString()).toBe('{"n":1}');
    expect(ctx.request.headers).toEqual(headersBefore);

    await vi.waitFor(() => expect(shadowed).toHaveLength(1));
    expect(hanging).toHaveLength(1);
    const copy = shadowed[0]!;
    expect(copy).toMatchObject({ method: 'POST', url: '/hang/orders?expand=items', body: '{"n":1}' });
    expect(copy.headers).toMatchObject({
      'content-type': 'application/json',
      'x-trace': 't-9',
      'x-shadow': 'true',
      'content-length': '7',
    });
    for (const secret of ['authorization', 'x-api-key', 'cookie']) expect(copy.headers[secret]).toBeUndefined();
  });

  it('samples the configured percentage', async () => {
    const random = vi.spyOn(Math, 'random');
    const handlers = policy({ url: base, percentage: 25 });
    random.mockReturnValue(0.3);
    await handlers.request!(createTestContext({ path: '/skipped' }));
    random.mockReturnValue(0.2);
    await handlers.request!(createTestContext({ path: '/copied' }));
    await vi.waitFor(() => expect(shadowed.map((s) => s.url)).toEqual(['/copied']));
    random.mockReturnValue(0.99);
    await handlers.request!(createTestContext({ path: '/never' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(shadowed).toHaveLength(1);

    await policy({ url: base, percentage: 0 }).request!(createTestContext({ path: '/zero' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(shadowed.map((s) => s.url)).toEqual(['/copied']);
  });

  it('skips requests whose body is large or of unknown length, and sends none when includeBody is off', async () => {
    const handlers = policy({ url: base, maxBodySize: '4' });
    await handlers.request!(createTestContext(post('12345', { path: '/large' })));
    const chunked = post('12', { path: '/chunked' });
    delete chunked.headers!['content-length'];
    chunked.headers!['transfer-encoding'] = 'chunked';
    await handlers.request!(createTestContext(chunked));
    await handlers.request!(createTestContext(post('1234', { path: '/small' })));
    await vi.waitFor(() => expect(shadowed.map((s) => s.url)).toEqual(['/small?expand=items']));

    const bodiless = policy({ url: base, includeBody: false });
    const ctx = createTestContext(post('{"big":true}', { path: '/nobody' }));
    await bodiless.request!(ctx);
    await vi.waitFor(() => expect(shadowed.at(-1)).toMatchObject({ url: '/nobody?expand=items', body: '' }));
    expect(ctx.forwardedBody()!.toString()).toBe('{"big":true}');
  });

  it('abandons a shadow after its timeout and caps requests in flight', async () => {
    const handlers = policy({ url: base, timeout: '500ms', maxConcurrent: 1 });
    await handlers.request!(createTestContext({ path: '/hang/1' }));
    await vi.waitFor(() => expect(shadowed).toHaveLength(1));
    await handlers.request!(createTestContext({ path: '/hang/2' }));
    await new Promise((resolve) => setTimeout(resolve, 800));
    // The second copy was dropped while the first was in flight; once that one timed out, copies resume.
    await handlers.request!(createTestContext({ path: '/hang/3' }));
    await vi.waitFor(() => expect(shadowed.map((s) => s.url)).toEqual(['/hang/1', '/hang/3']));
  });

  it('only logs failures of the shadow target', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { logger, lines } = captureLogger();
    const handlers = policy({ url: `http://127.0.0.1:${port}` }, testPolicyEnv({ logger }));
    const ctx = createTestContext({ path: '/x', headers: { authorization: 'Bearer never-logged' } });
    await handlers.request!(ctx);
    expect(ctx.responded).toBe(false);
    await vi.waitFor(() => expect(lines.map((l) => l.msg)).toContain('shadow request failed'));
    expect(JSON.stringify(lines)).not.toContain('never-logged');
  });

  it('requires an http(s) URL', () => {
    expect(() => createPolicy(trafficShadowingPolicy, { url: 'shadow.internal' })).toThrow(/url/);
    expect(() => createPolicy(trafficShadowingPolicy, { url: base, percentage: 101 })).toThrow(/percentage/);
  });
});

describe('traffic-shadowing example', () => {
  it('accepts its documented example', async () => {
    expect(trafficShadowingPolicy.example.policy).toBe('traffic-shadowing');
    const handlers = createPolicy(trafficShadowingPolicy, trafficShadowingPolicy.example.config);
    expect(Object.keys(handlers).length).toBeGreaterThan(0);
    await handlers.close?.();
  });
});
