/**
 * Bodies nested deeper than any real document must be refused (400 for a client's, 502 for an
 * upstream's) before recursive code walks them; a stack overflow used to answer 500 and log a
 * stack trace per request.
 */
import { startTestGateway, startTestUpstream, type TestGateway, type TestUpstream } from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DEPTH = 50_000;
const DEEP_JSON = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
const DEEP_XML = `<?xml version="1.0"?>${'<a>'.repeat(DEPTH)}${'</a>'.repeat(DEPTH)}`;

function api(id: string, targetUrl: string, policies: unknown[]) {
  return {
    id,
    name: id,
    basePath: `/${id}`,
    upstream: { targets: [{ url: targetUrl }] },
    plans: [{ id: 'open', security: { type: 'keyless' } }],
    policies,
  };
}

describe('deeply nested bodies', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await startTestUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(DEEP_XML);
    });
    gw = await startTestGateway({
      version: 1,
      apis: [
        api('to-xml', upstream.url, [{ policy: 'json-to-xml', config: { phase: 'request' } }]),
        api('transform', upstream.url, [{ policy: 'json-transform', config: { phase: 'request', expression: '$' } }]),
        api('from-xml', upstream.url, [
          { policy: 'xml-to-json', config: { phase: 'request' } },
          { policy: 'xml-to-json', config: { phase: 'response' } },
        ]),
      ],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  const post = (path: string, contentType: string, body: string) =>
    gw.fetch(path, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('json-to-xml: 400 for a deep JSON request body', async () => {
    const res = await post('/to-xml/x', 'application/json', DEEP_JSON);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect((await res.json()).code).toBe('bad_request');
  });

  it('json-transform: 400 for a deep JSON request body', async () => {
    const res = await post('/transform/x', 'application/json', DEEP_JSON);
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('bad_request');
  });

  it('xml-to-json: 400 for a deep XML request body, 502 for a deep upstream response', async () => {
    const res = await post('/from-xml/x', 'application/xml', DEEP_XML);
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('bad_request');
    const fromUpstream = await gw.fetch('/from-xml/x');
    expect(fromUpstream.status).toBe(502);
    expect((await fromUpstream.json()).code).toBe('upstream_bad_response');
  });
});
