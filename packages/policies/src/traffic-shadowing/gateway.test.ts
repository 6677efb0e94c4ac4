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
  let shadowAnswered = false;
  let release: () => void = () => {};
  const clientAnswered = {
    promise: new Promise<void>((resolve) => {
      release = resolve;
    }),
  };

  beforeAll(async () => {
    upstream = await startTestUpstream();
    // A broken shadow: it holds its answer (a 500) until the client has had its own. The client must
    // never notice; the safety timer only turns a gateway that waited into a failed assertion.
    shadow = await startTestUpstream((_req, res) => {
      const answer = () => {
        shadowAnswered = true;
        res.writeHead(500);
        res.end('shadow exploded');
      };
      const safety = setTimeout(answer, 10_000);
      void clientAnswered.promise.then(() => {
        clearTimeout(safety);
        answer();
      });
    });
    gw = await startTestGateway(
      simpleDocument(upstream.url, {
        policies: [
          // Never abandoned within the test (1 h): a gateway that waited would wait for the shadow's answer.
          {
            policy: 'traffic-shadowing',
            config: { url: `${shadow.url}/v2`, headers: { 'x-shadow': 'true' }, timeout: '1h' },
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([upstream?.close(), shadow?.close()]);
  });

  it('copies the request to the shadow while the client gets the upstream answer at once', async () => {
    const res = await gw.fetch('/test/orders?x=1', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t0ken' },
      body: '{"n":1}',
    });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { url: string; body: string; headers: Record<string, string> };
    expect(shadowAnswered).toBe(false);
    release();
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
