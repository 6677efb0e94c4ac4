import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('retry through the gateway', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  /** Failures left per path: each path answers 503 that many times, then 200. */
  const failuresLeft = new Map<string, number>();

  beforeAll(async () => {
    upstream = await startTestUpstream((req, res) => {
      const left = failuresLeft.get(req.url!) ?? 0;
      failuresLeft.set(req.url!, left - 1);
      res.writeHead(left > 0 ? 503 : 200, { 'content-length': 0 });
      res.end();
    });
    gw = await startTestGateway(
      simpleDocument(upstream.url, {
        // Passive health would eject the deliberately failing target between tests.
        upstream: { targets: [{ url: upstream.url }], healthCheck: { passive: { enabled: false } } },
        routes: [
          { path: '/retried/*', policies: [{ policy: 'retry', config: { attempts: 2, onStatus: [503] } }] },
          { path: '/plain/*' },
        ],
      }),
    );
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  const calls = (url: string) => upstream.requests.filter((r) => r.url === url).length;

  it('retries the configured statuses for its route', async () => {
    failuresLeft.set('/retried/a', 2);
    expect((await gw.fetch('/test/retried/a')).status).toBe(200);
    expect(calls('/retried/a')).toBe(3);
  });

  it('gives up after the configured attempts and returns the last answer', async () => {
    failuresLeft.set('/retried/b', 5);
    expect((await gw.fetch('/test/retried/b')).status).toBe(503);
    expect(calls('/retried/b')).toBe(3);
  });

  it('leaves other routes with the upstream defaults', async () => {
    failuresLeft.set('/plain/c', 1);
    expect((await gw.fetch('/test/plain/c')).status).toBe(503);
    expect(calls('/plain/c')).toBe(1);
  });
});
