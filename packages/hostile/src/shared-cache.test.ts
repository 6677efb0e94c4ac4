/**
 * The response cache is shared by every caller of an API: it must not hand one caller's
 * personalised answer to another (RFC 9111 section 3.5), nor let one request's Host header plant a
 * page that others are then served.
 */
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from './raw.js';

describe('the response cache does not leak between callers or hosts', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    // A backend that authenticates by itself and builds absolute links from the Host it is given.
    upstream = await startTestUpstream((req, res) => {
      const body = JSON.stringify({
        for: req.headers.authorization ?? 'anonymous',
        link: `http://${req.headers.host}/next`,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    gw = await startTestGateway(
      simpleDocument(upstream.url, {
        upstream: { targets: [{ url: upstream.url }], preserveHost: true },
        policies: [{ policy: 'cache', config: { ttl: '1m' } }],
      }),
    );
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it("does not serve user A's answer to user B", async () => {
    const alice = await gw.fetch('/test/profile', { headers: { authorization: 'Bearer alice-token' } });
    expect((await alice.json()).for).toBe('Bearer alice-token');
    const bob = await gw.fetch('/test/profile', { headers: { authorization: 'Bearer bob-token' } });
    expect((await bob.json()).for).toBe('Bearer bob-token');
    const anonymous = await gw.fetch('/test/profile');
    expect((await anonymous.json()).for).toBe('anonymous');
  });

  it('does not serve a page cached under a forged Host to other hosts', async () => {
    const port = new URL(gw.url).port;
    const forged = await rawRequest(
      Number(port),
      'GET /test/home HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n',
    );
    // Stored (200), or turned away at the listener: either way it must not reach the honest caller.
    expect([200, 400, 421]).toContain(forged.status);
    const honest = await gw.fetch('/test/home');
    const body = await honest.json();
    expect(body.link).not.toContain('evil.example');
  });
});
