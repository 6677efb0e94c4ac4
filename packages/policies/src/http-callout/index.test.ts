// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayError } from '@gatehouse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyHandlers } from '../sdk/types.js';
import { createTestContext, type TestContextInit } from '../testing/context.js';
import { captureLogger, createPolicy } from '../testing/index.js';
import type { CalloutResult } from './call.js';
import { httpCalloutPolicy } from './index.js';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server;
let base: string;
const received: Received[] = [];
const created: PolicyHandlers[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const url = new URL(req.url!, 'http://x');
      if (url.pathname.startsWith('/users/')) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-source': 'users' });
        res.end(JSON.stringify({ id: url.pathname.slice(7), tier: 'gold', quota: 5 }));
      } else if (url.pathname === '/text') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('plain answer');
      } else if (url.pathname === '/slow') {
        // Never answers (afterAll closes the connection): only the callout's timeout ends the call.
      } else if (url.pathname === '/big') {
        res.end('x'.repeat(4096));
      } else if (url.pathname === '/deep') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`${'['.repeat(10_000)}${']'.repeat(10_000)}`);
      } else {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"error":"down"}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await Promise.all(created.map((h) => h.close?.()));
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function policy(config: Record<string, unknown>) {
  const handlers = createPolicy(httpCalloutPolicy, config);
  created.push(handlers);
  return handlers;
}

async function run(handlers: PolicyHandlers, init: TestContextInit = {}) {
  const { logger, lines } = captureLogger();
  const ctx = createTestContext(init);
  Object.assign(ctx, { log: logger });
  let error: unknown;
  try {
    await handlers.request!(ctx);
  } catch (e) {
    error = e;
  }
  return { ctx, error, lines, result: ctx.attributes as Record<string, CalloutResult> };
}

describe('http-callout', () => {
  it('calls the rendered URL and stores status, headers and parsed JSON for later CEL', async () => {
    const handlers = policy({
      url: `${base}/users/\${claims.sub}?from=\${context.api}`,
      headers: { Accept: 'application/json', 'X-Trace': '${request.headers["x-trace"]}' },
      attribute: 'user',
    });
    const { ctx, error, result } = await run(handlers, {
      claims: { sub: 'u-7' },
      headers: { 'x-trace': 't-1', authorization: 'Bearer secret' },
    });
    expect(error).toBeUndefined();
    expect(result.user).toMatchObject({ ok: true, status: 200, body: { id: 'u-7', tier: 'gold', quota: 5 } });
    expect(result.user!.headers['x-source']).toBe('users');
    const sent = received.at(-1)!;
    expect(sent).toMatchObject({ method: 'GET', url: '/users/u-7?from=test-api' });
    expect(sent.headers).toMatchObject({ accept: 'application/json', 'x-trace': 't-1' });
    expect(sent.headers.authorization).toBeUndefined();
    // Later policies see the result in CEL.
    expect(ctx.celActivation().attributes).toBe(ctx.attributes);
    const tier = (await import('../sdk/expression.js')).compileExpression(
      'attributes.user.body.tier == "gold" && attributes.user.status == 200',
    );
    expect(tier.test(ctx)).toBe(true);
  });

  it('sends a rendered body, as JSON unless told otherwise, and keeps text answers as text', async () => {
    const handlers = policy({ url: `${base}/text`, method: 'POST', body: '{"path":"${request.path}"}' });
    const { result } = await run(handlers, { path: '/orders/1' });
    expect(received.at(-1)).toMatchObject({ method: 'POST', body: '{"path":"/orders/1"}' });
    expect(received.at(-1)!.headers['content-type']).toBe('application/json');
    expect(result.callout).toMatchObject({ ok: true, body: 'plain answer' });
  });

  it('records failures without failing the request by default', async () => {
    const { error, result, lines } = await run(policy({ url: `${base}/down/\${request.query.token}` }), {
      query: 'token=abc123secret',
    });
    expect(error).toBeUndefined();
    expect(result.callout).toMatchObject({ ok: false, status: 503, body: { error: 'down' }, error: 'status 503' });
    expect(lines[0]).toMatchObject({ msg: 'callout failed', status: 503 });
    expect(JSON.stringify(lines)).not.toContain('abc123secret');

    const lenient = await run(policy({ url: `${base}/down`, errorOnStatus: false }));
    expect(lenient.result.callout!.ok).toBe(true);
  });

  it('fails with upstream_unavailable (or the configured status) when failOnError is set', async () => {
    const failing = await run(policy({ url: `${base}/down`, failOnError: true }));
    expect(failing.error).toBeInstanceOf(GatewayError);
    expect(failing.error).toMatchObject({ code: 'upstream_unavailable', status: 502 });

    const custom = await run(policy({ url: `${base}/down`, failOnError: true, errorStatus: 503 }));
    expect(custom.error).toMatchObject({ code: 'upstream_unavailable', status: 503 });
  });

  it('gives up after the timeout, on oversized answers and on refused connections', async () => {
    const slow = await run(policy({ url: `${base}/slow`, timeout: '150ms' }));
    expect(slow.result.callout).toMatchObject({ ok: false, status: 0, error: 'timeout' });

    const big = await run(policy({ url: `${base}/big`, maxResponseSize: '1kb' }));
    expect(big.result.callout).toMatchObject({ ok: false, status: 200, error: 'response too large' });

    const deep = await run(policy({ url: `${base}/deep` }));
    expect(deep.result.callout).toMatchObject({
      ok: false,
      status: 200,
      body: null,
      error: 'response nested too deeply',
    });

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await run(policy({ url: `http://127.0.0.1:${port}/x` }));
    expect(refused.result.callout).toMatchObject({ ok: false, status: 0, error: 'connection failed (ECONNREFUSED)' });
  });

  it('refuses rendered URLs outside allowedHosts without calling them', async () => {
    const count = received.length;
    const { result, error } = await run(
      policy({ url: 'http://${request.query.host}/x', allowedHosts: ['*.internal'], failOnError: true }),
      {
        query: 'host=169.254.169.254',
      },
    );
    expect(received.length).toBe(count);
    expect(error).toMatchObject({ code: 'upstream_unavailable' });
    expect(result.callout).toMatchObject({ ok: false, error: 'url host 169.254.169.254 is not in allowedHosts' });
  });

  it('checks the URL and templates at load time', () => {
    expect(() => createPolicy(httpCalloutPolicy, {})).toThrow(/url/);
    expect(() => createPolicy(httpCalloutPolicy, { url: 'ftp://files' })).toThrow(/url: is not an http\(s\) URL/);
    expect(() => createPolicy(httpCalloutPolicy, { url: `${base}/x`, body: '${ 1 + }' })).toThrow(
      /^config\.body: invalid CEL/,
    );
    expect(() => createPolicy(httpCalloutPolicy, { url: `${base}/x`, attribute: 'has space' })).toThrow(/attribute/);
  });
});

describe('http-callout example', () => {
  it('accepts its documented example', async () => {
    expect(httpCalloutPolicy.example.policy).toBe('http-callout');
    const handlers = createPolicy(httpCalloutPolicy, httpCalloutPolicy.example.config);
    expect(Object.keys(handlers).length).toBeGreaterThan(0);
    await handlers.close?.();
  });
});
