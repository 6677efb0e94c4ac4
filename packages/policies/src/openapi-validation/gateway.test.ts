import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

const openapi = {
  openapi: '3.0.3',
  info: { title: 'Pets', version: '1' },
  paths: {
    '/pets': {
      get: {
        parameters: [{ $ref: '#/components/parameters/Limit' }],
        responses: { '200': { description: 'ok' } },
      },
      post: {
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } },
        },
        responses: { '201': { description: 'created' } },
      },
    },
    '/pets/{id}': {
      get: {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
        responses: { '200': { description: 'ok' } },
      },
    },
  },
  components: {
    parameters: { Limit: { name: 'limit', in: 'query', schema: { type: 'integer', maximum: 50 } } },
    schemas: { Pet: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
  },
};

describe('openapi-validation through the gateway', () => {
  const { gw, upstream } = useTestGateway((upstream) =>
    simpleDocument(upstream.url, {
      openapi,
      policies: [{ policy: 'openapi-validation', config: { unknownOperations: 'reject' } }],
    }),
  );

  it("validates against the API's own OpenAPI document", async () => {
    expect((await gw.fetch('/test/pets?limit=10')).status).toBe(200);
    expect((await gw.fetch('/test/pets/7')).status).toBe(200);

    const res = await gw.fetch('/test/pets?limit=ten');
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { code: string; detail: string; errors: unknown[] };
    expect(problem).toMatchObject({ code: 'validation_failed', detail: 'query.limit: must be integer' });
    expect(problem.errors).toEqual([{ path: 'query.limit', message: 'must be integer' }]);

    const body = await gw.fetch('/test/pets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":5}',
    });
    expect(((await body.json()) as { errors: unknown[] }).errors).toEqual([
      { path: 'body.name', message: 'must be string' },
    ]);
  });

  it('answers 404 and 405 for operations the document does not describe', async () => {
    const before = upstream.requests.length;
    const missing = await gw.fetch('/test/owners');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('no_route');
    const wrongMethod = await gw.fetch('/test/pets/7', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
    expect(upstream.requests.length).toBe(before);
  });
});
