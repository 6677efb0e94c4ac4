import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('xml-to-json through the gateway', () => {
  const { gw } = useTestGateway(
    (upstream) =>
      simpleDocument(upstream.url, {
        policies: [{ policy: 'xml-to-json', config: { phase: 'response', arrayElements: ['item'] } }],
      }),
    {
      upstream: (req, res) => {
        const body = req.url === '/broken' ? '<a><b></a>' : '<?xml version="1.0"?><order id="3"><item>a</item></order>';
        res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      },
    },
  );

  it('converts the upstream XML response to JSON', async () => {
    const res = await gw.fetch('/test/order');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const text = await res.text();
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(JSON.parse(text)).toEqual({ order: { '@id': '3', item: ['a'] } });
  });

  it('answers 502 upstream_bad_response for malformed upstream XML', async () => {
    const res = await gw.fetch('/test/broken');
    expect(res.status).toBe(502);
    expect(((await res.json()) as { code: string }).code).toBe('upstream_bad_response');
  });
});
