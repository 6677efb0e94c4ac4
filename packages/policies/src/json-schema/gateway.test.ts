import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('json-schema through the gateway', () => {
  const { gw, upstream } = useTestGateway(
    (upstream) =>
      simpleDocument(upstream.url, {
        policies: [
          {
            policy: 'json-schema',
            config: {
              schema: {
                type: 'object',
                required: ['name'],
                properties: { name: { type: 'string' }, qty: { type: 'integer', minimum: 1 } },
              },
              responseSchema: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } },
            },
          },
        ],
      }),
    {
      upstream: (req, res) => {
        const text =
          req.url === '/bad-response' ? '{"id":"not-a-number"}' : JSON.stringify({ id: 1, received: req.method });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
    },
  );

  const post = (path: string, body: string) =>
    gw.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('forwards a valid body and checks the upstream answer', async () => {
    const res = await post('/test/orders', '{"name":"box","qty":2}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 1, received: 'POST' });
    expect(upstream.requests.at(-1)!.body).toBe('{"name":"box","qty":2}');
  });

  it('answers 400 problem+json listing the errors, without calling the upstream', async () => {
    const before = upstream.requests.length;
    const res = await post('/test/orders', '{"qty":0}');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await res.json()) as { code: string; errors: unknown[] };
    expect(problem.code).toBe('validation_failed');
    expect(problem.errors).toEqual([
      { path: '/name', message: 'is required' },
      { path: '/qty', message: 'must be >= 1' },
    ]);
    expect(upstream.requests.length).toBe(before);
  });

  it('turns an upstream answer that breaks the response schema into 502', async () => {
    const res = await post('/test/bad-response', '{"name":"x"}');
    expect(res.status).toBe(502);
    const problem = (await res.json()) as { code: string };
    expect(problem.code).toBe('upstream_bad_response');
  });
});
