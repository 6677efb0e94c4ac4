import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('json-transform through the gateway', () => {
  const { gw } = useTestGateway((upstream) =>
    simpleDocument(upstream.url, {
      policies: [
        { policy: 'json-transform', config: { expression: '{"total": $sum(lines.price), "via": $request.method}' } },
        {
          policy: 'json-transform',
          config: { phase: 'response', expression: '{"seen": $eval(body), "status": $response.status}' },
        },
      ],
    }),
  );

  it('transforms the request, then the upstream response', async () => {
    const res = await gw.fetch('/test/cart', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ lines: [{ price: 2 }, { price: 5 }] }),
    });
    expect(res.status).toBe(200);
    // The echo upstream returns what it received; the response transform parses its body field.
    expect(await res.json()).toEqual({ seen: { total: 7, via: 'POST' }, status: 200 });
  });
});
