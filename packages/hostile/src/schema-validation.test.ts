/**
 * Validation that means what the schema says, through a real gateway: a body can neither crash
 * validation into a 500 (deep nesting against recursive or $dynamicRef schemas), nor skip a required
 * field by naming something every object inherits, nor stall other requests with a backtracking
 * pattern; form bodies with bracket names validate as the API means them.
 */
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const schemaRoute = (id: string, schema: unknown) => ({
  id,
  path: `/${id}`,
  policies: [{ policy: 'json-schema', config: { schema } }],
});

const openapi = {
  openapi: '3.0.3',
  info: { title: 'Charges', version: '1' },
  paths: {
    '/charges': {
      post: {
        requestBody: {
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  metadata: { type: 'object', additionalProperties: { type: 'string' } },
                  items: { type: 'array', items: { type: 'string' } },
                },
              },
            },
          },
        },
        responses: { 200: { description: 'ok' } },
      },
    },
  },
};

describe('hostile: schema validation', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await startTestUpstream();
    gw = await startTestGateway(
      simpleDocument(upstream.url, {
        routes: [
          schemaRoute('dynamic', {
            $schema: 'https://json-schema.org/draft/2020-12/schema',
            $dynamicAnchor: 'node',
            type: 'array',
            items: { $dynamicRef: '#node' },
          }),
          schemaRoute('recursive', { type: 'array', items: { $ref: '#' } }),
          schemaRoute('inherited', { type: 'object', required: ['constructor', 'toString'] }),
          schemaRoute('pattern', { type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } }),
          {
            id: 'charges',
            path: '/v1/*',
            policies: [{ policy: 'openapi-validation', config: { document: openapi, serverPath: '/v1' } }],
          },
          { id: 'plain', path: '/plain' },
        ],
      }),
    );
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  const post = (path: string, body: string, type = 'application/json') =>
    gw.fetch(path, { method: 'POST', headers: { 'content-type': type }, body });
  const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;

  it('answers 400, never 500, to a 10,000-deep body against $dynamicRef and recursive schemas', async () => {
    for (const path of ['/test/dynamic', '/test/recursive']) {
      const res = await post(path, deep);
      expect(res.status, path).toBe(400);
      const problem = (await res.json()) as { code: string; errors: unknown[] };
      expect(problem.code).toBe('validation_failed');
      expect(problem.errors).toEqual([{ path: '', message: 'nests arrays/objects deeper than 100 levels' }]);
    }
    expect((await post('/test/dynamic', '[[[]],[]]')).status).toBe(200);
  });

  it('does not let inherited names (constructor, toString) stand in for required fields', async () => {
    const res = await post('/test/inherited', '{}');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: unknown[] }).errors).toEqual([
      { path: '/constructor', message: 'is required' },
      { path: '/toString', message: 'is required' },
    ]);
    expect((await post('/test/inherited', '{"constructor":1,"toString":2}')).status).toBe(200);
  });

  it('runs patterns in linear time: a backtracking body does not stall a concurrent request', async () => {
    const evil = post('/test/pattern', JSON.stringify({ name: `${'a'.repeat(27)}!` }));
    await new Promise((resolve) => setImmediate(resolve));
    const started = performance.now();
    const plain = await gw.fetch('/test/plain');
    const elapsed = performance.now() - started;
    expect(plain.status).toBe(200);
    expect((await evil).status).toBe(400);
    expect(elapsed).toBeLessThan(500);
  });

  it('accepts form bodies with bracket names (metadata[key]=v, items[]=x)', async () => {
    const res = await post(
      '/test/v1/charges',
      'metadata[order]=42&items[]=a&items[]=b',
      'application/x-www-form-urlencoded',
    );
    expect(res.status).toBe(200);
    const bad = await post('/test/v1/charges', 'metadata[order][x]=1', 'application/x-www-form-urlencoded');
    expect(bad.status).toBe(400);
  });
});
