import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

describe('traffic-shadowing through the gateway', () => {
  let upstream: TestUpstream;
  let shadow: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await startTestUpstream();
    // A broken shadow: slow, then a 500. The client must never notice.
    shadow = await startTestUpstream((_req, res) => {
      setTimeout(() => {
        res.writeHead(500);
        res.end('shadow exploded');
      }, 1500);
    });
    gw = await startTestGateway(
      simpleDocument(upstream.url, {
        policies: [
          { policy: 'traffic-shadowing', config: { url: `${shadow.url}/v2`, headers: { 'x-shadow': 'true' } } },
        ],
      }),
    );
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([upstream?.close(), shadow?.close()]);
  });

  it('copies the request to the shadow while the client gets the upstream answer at once', async () => {
    const started = performance.now();
    const res = await gw.fetch('/test/orders?x=1', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t0ken' },
      body: '{"n":1}',
    });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { url: string; body: string; headers: Record<string, string> };
    expect(performance.now() - started).toBeLessThan(1000);
    expect(echoed).toMatchObject({ url: '/orders?x=1', body: '{"n":1}' });
    expect(echoed.headers.authorization).toBe('Bearer t0ken');
    expect(echoed.headers['x-shadow']).toBeUndefined();

    await vi.waitFor(() => expect(shadow.requests).toHaveLength(1));
    const copy = shadow.requests[0]!;
    expect(copy).toMatchObject({ method: 'POST', url: '/v2/orders?x=1', body: '{"n":1}' });
    expect(copy.headers['x-shadow']).toBe('true');
    expect(copy.headers.authorization).toBeUndefined();
  });
});
