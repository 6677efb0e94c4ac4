import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('keyless security through the gateway', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await startTestUpstream();
    gw = await startTestGateway(
      simpleDocument(upstream.url, { plans: [{ id: 'open', security: { type: 'keyless' } }] }),
    );
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('serves anyone on the open plan, without a subscription, forwarding their headers', async () => {
    gw.records.length = 0;
    const res = await gw.fetch('/test/hello', { headers: { authorization: 'Bearer whatever' } });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { url: string; headers: Record<string, string> };
    expect(echoed.url).toBe('/hello');
    expect(echoed.headers.authorization).toBe('Bearer whatever');
    await new Promise((r) => setTimeout(r, 20));
    expect(gw.records[0]).toMatchObject({ plan: 'open', status: 200 });
    expect(gw.records[0]!.application).toBeUndefined();
  });
});
