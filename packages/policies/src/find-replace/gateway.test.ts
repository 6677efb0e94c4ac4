import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('find-replace through the gateway', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await startTestUpstream((_req, res) => {
      const body = '{"self":"http://orders.internal:8080/orders/1"}';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    gw = await startTestGateway(
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
    );
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('rewrites the upstream response body and its length', async () => {
    const res = await gw.fetch('/test/orders/1');
    const text = await res.text();
    expect(text).toBe('{"self":"https://api.example.com/orders/1"}');
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
  });
});
