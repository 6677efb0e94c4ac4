import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('keyless security through the gateway', () => {
  const { gw } = useTestGateway((upstream) =>
    simpleDocument(upstream.url, { plans: [{ id: 'open', security: { type: 'keyless' } }] }),
  );

  it('serves anyone on the open plan, without a subscription, forwarding their headers', async () => {
    gw.records.length = 0;
    const res = await gw.fetch('/test/hello', { headers: { authorization: 'Bearer whatever' } });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { url: string; headers: Record<string, string> };
    expect(echoed.url).toBe('/hello');
    expect(echoed.headers.authorization).toBe('Bearer whatever');
    // The access record is written once the response has finished, which may be after fetch resolves.
    await expect.poll(() => gw.records[0]).toMatchObject({ plan: 'open', status: 200 });
    expect(gw.records[0]!.application).toBeUndefined();
  });
});
