import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('json-to-xml through the gateway', () => {
  const { gw, upstream } = useTestGateway((upstream) =>
    simpleDocument(upstream.url, {
      policies: [{ policy: 'json-to-xml', config: { rootElement: 'order', declaration: false } }],
    }),
  );

  it('forwards a JSON request body as XML', async () => {
    const res = await gw.fetch('/test/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ '@id': 3, item: ['a', 'b'] }),
    });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { body: string; headers: Record<string, string> };
    expect(echoed.body).toBe('<order id="3"><item>a</item><item>b</item></order>');
    expect(echoed.headers['content-type']).toBe('application/xml');
  });

  it('answers 400 problem+json for a broken JSON body without calling the upstream', async () => {
    const before = upstream.requests.length;
    const res = await gw.fetch('/test/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('bad_request');
    expect(upstream.requests.length).toBe(before);
  });
});
