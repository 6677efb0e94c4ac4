import type http from 'node:http';
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('concurrency-limit through the gateway', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  // Upstream responses held until the test lets them go.
  const held: http.ServerResponse[] = [];
  const releaseAll = () => {
    for (const res of held.splice(0)) res.end('done');
  };
  const heldCount = async (count: number) => {
    for (let i = 0; i < 200 && held.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(held).toHaveLength(count);
  };

  beforeAll(async () => {
    upstream = await startTestUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      held.push(res);
    });
    gw = await startTestGateway(
      simpleDocument(upstream.url, {
        routes: [
          { path: '/fast-fail', policies: [{ policy: 'concurrency-limit', config: { limit: 1 } }] },
          {
            path: '/queued',
            policies: [{ policy: 'concurrency-limit', config: { limit: 1, queueSize: 1, queueTimeout: '300ms' } }],
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    releaseAll();
    await gw?.close();
    await upstream?.close();
  });

  it('answers 429 while the slot is taken and frees it when the response completes', async () => {
    const first = gw.fetch('/test/fast-fail');
    await heldCount(1);
    const refused = await gw.fetch('/test/fast-fail');
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { code: string }).code).toBe('concurrency_limited');
    releaseAll();
    expect(await (await first).text()).toBe('done');

    const again = gw.fetch('/test/fast-fail');
    await heldCount(1);
    releaseAll();
    expect((await again).status).toBe(200);
  });

  it('frees the slot when the client goes away mid-request', async () => {
    const client = new AbortController();
    const first = gw.fetch('/test/fast-fail', { signal: client.signal }).catch((error: unknown) => error);
    await heldCount(1);
    client.abort();
    await first;
    held.splice(0);
    // Admitted requests are held by the upstream: release them as they arrive until one answers 200.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      let done = false;
      const attempt = gw.fetch('/test/fast-fail').finally(() => {
        done = true;
      });
      while (!done) {
        releaseAll();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      status = (await attempt).status;
      await (await attempt).text();
    }
    expect(status).toBe(200);
  });

  it('queues a request, and gives up with 429 after the queue timeout', async () => {
    const first = gw.fetch('/test/queued');
    await heldCount(1);
    const started = Date.now();
    const queued = await gw.fetch('/test/queued');
    expect(queued.status).toBe(429);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    releaseAll();
    await (await first).text();
  });

  it('hands the slot to a queued request when the first one finishes', async () => {
    const first = gw.fetch('/test/queued');
    await heldCount(1);
    const second = gw.fetch('/test/queued');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(held).toHaveLength(1);
    releaseAll();
    await (await first).text();
    await heldCount(1);
    releaseAll();
    expect((await second).status).toBe(200);
  });
});
