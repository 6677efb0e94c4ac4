/**
 * Helpers for integration tests that go through the real gateway: real listeners on 127.0.0.1,
 * real upstream servers, real HTTP clients. Used by gateway and policy tests alike.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@gatehouse/core';
import { type GatewayOptions, type RunningGateway, startGateway } from '../gateway.js';
import type { RequestRecord } from '../handler.js';
import { type GatewayNode, type GatewayNodeOptions, startGatewayNode } from '../workers/node-gateway.js';

export interface TestGateway extends RunningGateway {
  /** Records of finished requests, as the access log sees them. */
  records: RequestRecord[];
  /** fetch() against the gateway: `gw.fetch('/orders/items', { headers })`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

export async function startTestGateway(document: unknown, options: Partial<GatewayOptions> = {}): Promise<TestGateway> {
  const records: RequestRecord[] = [];
  const gateway = await startGateway({
    document,
    host: '127.0.0.1',
    port: 0,
    adminPort: 0,
    logger: silentLogger(),
    accessLog: (record) => records.push(record),
    ...options,
  });
  return Object.assign(gateway, {
    records,
    fetch: (path: string, init?: RequestInit) => fetch(gateway.url + path, init),
  });
}

/** A gateway node of two worker threads on loopback, ports chosen by the kernel, silent, no access log. */
export function startTestNode(document: unknown, options: Partial<GatewayNodeOptions> = {}): Promise<GatewayNode> {
  return startGatewayNode({
    document,
    workers: 2,
    host: '127.0.0.1',
    port: 0,
    adminPort: 0,
    logger: silentLogger(),
    accessLog: 'off',
    ...options,
  });
}

export interface EchoedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface TestUpstream {
  url: string;
  port: number;
  /** Requests received so far. */
  requests: EchoedRequest[];
  server: http.Server;
  close(): Promise<void>;
}

/**
 * An upstream that answers every request with a JSON echo of what it received (method, url,
 * headers, body), or with a custom handler.
 */
export async function startTestUpstream(
  handler?: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void,
): Promise<TestUpstream> {
  const requests: EchoedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const echoed = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: body.toString() };
      requests.push(echoed);
      if (handler) return handler(req, res, body);
      const text = JSON.stringify(echoed);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        'x-powered-by': 'test-upstream',
      });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A one-API document around a target, for quick tests: `simpleDocument(upstream.url, { plans, policies, routes })`. */
export function simpleDocument(
  targetUrl: string,
  api: Record<string, unknown> = {},
  rest: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    version: 1,
    apis: [
      {
        id: 'test',
        name: 'Test API',
        basePath: '/test',
        upstream: { targets: [{ url: targetUrl }] },
        plans: [{ id: 'open', security: { type: 'keyless' } }],
        ...api,
      },
    ],
    ...rest,
  };
}
