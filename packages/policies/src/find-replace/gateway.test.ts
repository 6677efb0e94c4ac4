import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('find-replace through the gateway', () => {
  const { gw } = useTestGateway(
    (upstream) =>
      simpleDocument(upstream.url, {
        policies: [
          {
            policy: 'find-replace',
            config: {
              phase: 'response',
              replacements: [{ find: 'http://orders.internal:8080', replace: 'https://api.example.com' }],
            },
          },
        ],
      }),
    {
      upstream: (_req, res) => {
        const body = '{"self":"http://orders.internal:8080/orders/1"}';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      },
    },
  );

  it('rewrites the upstream response body and its length', async () => {
    const res = await gw.fetch('/test/orders/1');
    const text = await res.text();
    expect(text).toBe('{"self":"https://api.example.com/orders/1"}');
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
  });
});
