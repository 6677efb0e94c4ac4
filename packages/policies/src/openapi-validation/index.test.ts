import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { createTestContext, type TestContextInit } from '../testing/context.js';
import { createPolicy, testPolicyEnv } from '../testing/index.js';
import { openapiValidationPolicy } from './index.js';

const petstore30 = `
openapi: 3.0.3
info: { title: Pets, version: '1' }
paths:
  /pets:
    parameters:
      - $ref: '#/components/parameters/RequestId'
    get:
      parameters:
        - { name: limit, in: query, schema: { type: integer, minimum: 1, maximum: 100 } }
        - name: tags
          in: query
          schema: { type: array, items: { type: string, enum: [dog, cat] } }
        - name: ids
          in: query
          explode: false
          schema: { type: array, items: { type: integer } }
        - name: filter
          in: query
          style: deepObject
          schema: { type: object, properties: { age: { type: integer } } }
      responses: { '200': { description: ok } }
    post:
      requestBody:
        $ref: '#/components/requestBodies/NewPet'
      responses: { '201': { description: created } }
  /pets/mine:
    get:
      responses: { '200': { description: ok } }
  /pets/{petId}:
    get:
      parameters:
        - { name: petId, in: path, required: true, schema: { type: integer, format: int32 } }
        - { name: session, in: cookie, required: true, schema: { type: string, minLength: 8 } }
      responses: { '200': { description: ok } }
  /files/{name}.{ext}:
    put:
      parameters:
        - { name: name, in: path, required: true, schema: { type: string } }
        - { name: ext, in: path, required: true, schema: { type: string, enum: [txt, md] } }
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [size]
              properties: { size: { type: integer }, labels: { type: array, items: { type: string } } }
          text/*: {}
      responses: { '204': { description: stored } }
components:
  parameters:
    RequestId:
      name: X-Request-Id
      in: header
      required: true
      schema: { type: string, pattern: '^[a-f0-9-]+$' }
  requestBodies:
    NewPet:
      required: true
      content:
        application/json:
          schema: { $ref: '#/components/schemas/Pet' }
  schemas:
    Pet:
      type: object
      required: [name, category]
      additionalProperties: false
      properties:
        name: { type: string, minLength: 1 }
        nickname: { type: string, nullable: true }
        weight: { type: number, minimum: 0, exclusiveMinimum: true }
        category: { $ref: '#/components/schemas/Category' }
    Category:
      type: object
      required: [id]
      properties: { id: { type: integer } }
`;

function writeDoc(name: string, text: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gh-openapi-'));
  writeFileSync(join(dir, name), text);
  return { dir, file: name };
}

const { dir } = writeDoc('petstore.yaml', petstore30);
const apiEnv = (overrides = {}) =>
  testPolicyEnv({
    resolvePath: (p) => join(dir, p),
    api: { id: 'pets', name: 'Pets', basePath: '/pets-api', openapi: 'petstore.yaml' },
    ...overrides,
  });

const rid = { 'x-request-id': 'abc-123' };

async function errorsOf(handlers: ReturnType<typeof createPolicy>, init: TestContextInit): Promise<GatewayError> {
  try {
    await handlers.request!(createTestContext(init));
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected a rejection');
}

describe('openapi-validation (3.0 document from the API, YAML file)', () => {
  const handlers = createPolicy(openapiValidationPolicy, {}, apiEnv());

  it('passes a valid request', async () => {
    const ctx = createTestContext({
      path: '/pets',
      query: 'limit=10&tags=dog&tags=cat&ids=1,2&filter[age]=3',
      headers: rid,
    });
    await handlers.request!(ctx);
    expect(ctx.responded).toBe(false);
  });

  it('names each bad parameter (query.limit: must be integer)', async () => {
    const error = await errorsOf(handlers, {
      path: '/pets',
      query: 'limit=ten&tags=dog&tags=fish&ids=1,x&filter[age]=old',
      headers: { 'x-request-id': 'NOT HEX' },
    });
    expect(error.code).toBe('validation_failed');
    expect(error.status).toBe(400);
    expect(error.errors).toEqual(
      expect.arrayContaining([
        { path: 'query.limit', message: 'must be integer' },
        { path: 'query.tags[1]', message: 'must be one of "dog", "cat"' },
        { path: 'query.ids[1]', message: 'must be integer' },
        { path: 'query.filter.age', message: 'must be integer' },
        { path: 'header.X-Request-Id', message: 'must match pattern "^[a-f0-9-]+$"' },
      ]),
    );
    expect(error.detail).toContain('query.limit: must be integer');
  });

  it('reports missing required parameters and checks ranges after coercion', async () => {
    const missing = await errorsOf(handlers, { path: '/pets', query: 'limit=500' });
    expect(missing.errors).toEqual([
      { path: 'query.limit', message: 'must be <= 100' },
      { path: 'header.X-Request-Id', message: 'is required' },
    ]);
  });

  it('validates path and cookie parameters, preferring concrete paths over templates', async () => {
    const error = await errorsOf(handlers, { path: '/pets/abc', headers: { cookie: 'session=short' } });
    expect(error.errors).toEqual([
      { path: 'path.petId', message: 'must be integer' },
      { path: 'cookie.session', message: 'must NOT have fewer than 8 characters' },
    ]);
    await handlers.request!(createTestContext({ path: '/pets/42', headers: { cookie: 'a=1; session=long-enough-1' } }));
    await handlers.request!(createTestContext({ path: '/pets/mine' }));
    await handlers.request!(createTestContext({ path: '/pets/mine/' }));
  });

  it('validates JSON bodies through local $refs, with 3.0 nullable and boolean exclusiveMinimum', async () => {
    const post = (body: unknown): TestContextInit => ({
      method: 'POST',
      path: '/pets',
      headers: { ...rid, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const ctx = createTestContext(post({ name: 'Rex', nickname: null, weight: 3.5, category: { id: 1 } }));
    await handlers.request!(ctx);
    expect(JSON.parse(ctx.forwardedBody()!.toString()).name).toBe('Rex');

    const error = await errorsOf(handlers, post({ name: '', weight: 0, category: { id: 'x' }, extra: 1 }));
    expect(error.errors).toEqual(
      expect.arrayContaining([
        { path: 'body.name', message: 'must NOT have fewer than 1 characters' },
        { path: 'body.weight', message: 'must be > 0' },
        { path: 'body.category.id', message: 'must be integer' },
        { path: 'body.extra', message: 'is not allowed' },
      ]),
    );
    // JSON bodies are not coerced: "1" is not an integer.
    const strict = await errorsOf(handlers, post({ name: 'a', category: { id: '1' } }));
    expect(strict.errors).toEqual([{ path: 'body.category.id', message: 'must be integer' }]);
  });

  it('requires declared bodies, rejects undeclared media types and parses form bodies', async () => {
    const missing = await errorsOf(handlers, { method: 'POST', path: '/pets', headers: rid });
    expect(missing.errors).toEqual([{ path: 'body', message: 'is required' }]);

    const xml = await errorsOf(handlers, {
      method: 'POST',
      path: '/pets',
      headers: { ...rid, 'content-type': 'application/xml' },
      body: '<pet/>',
    });
    expect(xml.code).toBe('unsupported_media_type');

    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    await handlers.request!(
      createTestContext({ method: 'PUT', path: '/files/notes.md', headers: form, body: 'size=12&labels=a&labels=b' }),
    );
    await handlers.request!(
      createTestContext({
        method: 'PUT',
        path: '/files/notes.md',
        headers: { 'content-type': 'text/plain' },
        body: 'x',
      }),
    );
    const bad = await errorsOf(handlers, { method: 'PUT', path: '/files/notes.exe', headers: form, body: 'size=big' });
    expect(bad.errors).toEqual([
      { path: 'path.ext', message: 'must be one of "txt", "md"' },
      { path: 'body.size', message: 'must be integer' },
    ]);
  });

  it('forwards unknown operations by default', async () => {
    await handlers.request!(createTestContext({ path: '/unknown' }));
    await handlers.request!(createTestContext({ method: 'DELETE', path: '/pets' }));
  });
});

describe('openapi-validation options', () => {
  const doc31 = {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths: {
      '/items': {
        get: {
          parameters: [{ name: 'q', in: 'query', schema: { type: ['string', 'null'], maxLength: 3 } }],
          responses: {},
        },
        post: {
          requestBody: {
            content: {
              'application/json': { schema: { type: 'array', prefixItems: [{ type: 'string' }], items: false } },
            },
          },
          responses: {},
        },
      },
    },
  };

  it('rejects unknown operations with 404 no_route and 405 plus Allow when configured', async () => {
    const strict = createPolicy(openapiValidationPolicy, { document: doc31, unknownOperations: 'reject' });
    const notFound = await errorsOf(strict, { path: '/nothing' });
    expect(notFound.code).toBe('no_route');
    expect(notFound.status).toBe(404);
    const notAllowed = await errorsOf(strict, { method: 'DELETE', path: '/items' });
    expect(notAllowed.code).toBe('method_not_allowed');
    expect(notAllowed.headers).toEqual({ allow: 'GET, POST, HEAD' });
    await strict.request!(createTestContext({ method: 'HEAD', path: '/items' }));
  });

  it('uses 2020-12 semantics for 3.1 documents and honours serverPath', async () => {
    const handlers = createPolicy(openapiValidationPolicy, {
      document: doc31,
      serverPath: '/v1/',
      unknownOperations: 'reject',
    });
    await handlers.request!(createTestContext({ path: '/v1/items', query: 'q=abc' }));
    const long = await errorsOf(handlers, { path: '/v1/items', query: 'q=abcd' });
    expect(long.errors).toEqual([{ path: 'query.q', message: 'must NOT have more than 3 characters' }]);
    const tuple = await errorsOf(handlers, {
      method: 'POST',
      path: '/v1/items',
      headers: { 'content-type': 'application/json' },
      body: '["a", "b"]',
    });
    expect(tuple.errors).toEqual([{ path: 'body', message: 'must NOT have more than 1 items' }]);
    expect((await errorsOf(handlers, { path: '/items' })).code).toBe('no_route');
  });

  it('rejects undeclared query parameters and can skip locations', async () => {
    const handlers = createPolicy(openapiValidationPolicy, {
      document: doc31,
      unknownQueryParameters: 'reject',
      maxErrors: 1,
    });
    const error = await errorsOf(handlers, { path: '/items', query: 'q=a&debug=1&trace=2' });
    expect(error.errors).toEqual([{ path: 'query.debug', message: 'is not a known parameter' }]);

    const lenient = createPolicy(openapiValidationPolicy, { validateQuery: false }, apiEnv());
    await lenient.request!(createTestContext({ path: '/pets', query: 'limit=ten', headers: rid }));
  });

  it('prefers its own document over the API one', async () => {
    const handlers = createPolicy(openapiValidationPolicy, { document: doc31, unknownOperations: 'reject' }, apiEnv());
    expect((await errorsOf(handlers, { path: '/pets', headers: rid })).code).toBe('no_route');
  });

  it('reports document problems at load time', () => {
    expect(() => createPolicy(openapiValidationPolicy, {})).toThrow(/no OpenAPI document/);
    expect(() => createPolicy(openapiValidationPolicy, { document: { swagger: '2.0', paths: {} } })).toThrow(
      /OpenAPI 3.0 and 3.1/,
    );
    const dangling = {
      openapi: '3.0.0',
      paths: { '/x': { get: { parameters: [{ $ref: '#/components/parameters/Nope' }] } } },
    };
    expect(() => createPolicy(openapiValidationPolicy, { document: dangling })).toThrow(/GET \/x: .*does not resolve/);
    const external = {
      openapi: '3.0.0',
      paths: {
        '/x': { post: { requestBody: { content: { 'application/json': { schema: { $ref: 'other.yaml#/Pet' } } } } } },
      },
    };
    expect(() => createPolicy(openapiValidationPolicy, { document: external })).toThrow(
      /config\.document\.paths\["\/x"\]\.post\.requestBody\..*only local \$refs/,
    );
    expect(() =>
      createPolicy(
        openapiValidationPolicy,
        { document: 'missing.yaml' },
        testPolicyEnv({ resolvePath: (p) => join(dir, p) }),
      ),
    ).toThrow(/cannot read document file/);
  });
});

describe('openapi-validation example', () => {
  it('accepts its documented example (with the API document)', async () => {
    expect(openapiValidationPolicy.example.policy).toBe('openapi-validation');
    const handlers = createPolicy(openapiValidationPolicy, openapiValidationPolicy.example.config, apiEnv());
    expect(handlers.request).toBeTypeOf('function');
  });
});

describe('openapi-validation: validation that means what the document says', () => {
  const document = {
    openapi: '3.0.3',
    info: { title: 'Charges', version: '1' },
    paths: {
      '/charges': {
        get: {
          parameters: [
            { name: 'created', in: 'query', style: 'deepObject', schema: { properties: { gt: { type: 'integer' } } } },
            { name: 'expand', in: 'query', schema: { type: 'array', items: { type: 'string', maxLength: 5 } } },
          ],
          responses: { 200: { description: 'ok' } },
        },
        post: {
          requestBody: {
            content: {
              'application/json': { schema: { type: 'object', required: ['constructor'], 'x-internal': true } },
              'application/x-www-form-urlencoded': {
                schema: {
                  type: 'object',
                  required: ['amount'],
                  additionalProperties: false,
                  example: { amount: 1 },
                  properties: {
                    amount: { type: 'integer' },
                    metadata: { type: 'object', additionalProperties: { type: 'string', maxLength: 3 } },
                    expand: { type: 'array', items: { type: 'string' } },
                    items: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['price'],
                        properties: { price: { type: 'string' }, quantity: { type: 'integer' } },
                      },
                    },
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
  const handlers = createPolicy(openapiValidationPolicy, { document });
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const json = { 'content-type': 'application/json' };

  it('accepts form bodies with bracket names (metadata[key]=v, items[]=x, items[0][price]=p)', async () => {
    await handlers.request!(
      createTestContext({
        method: 'POST',
        path: '/charges',
        headers: form,
        body: 'amount=5&metadata[order]=abc&expand[]=customer&expand[]=invoice&items[0][price]=p1&items[0][quantity]=2&items[1][price]=p2',
      }),
    );
    const error = await errorsOf(handlers, {
      method: 'POST',
      path: '/charges',
      headers: form,
      body: 'amount=5&metadata[order]=toolong&items[0][quantity]=x',
    });
    expect(error.errors).toEqual(
      expect.arrayContaining([
        { path: 'body.metadata.order', message: 'must NOT have more than 3 characters' },
        { path: 'body.items[0].price', message: 'is required' },
      ]),
    );
  });

  it('keeps __proto__ and constructor in form names as plain data', async () => {
    const error = await errorsOf(handlers, {
      method: 'POST',
      path: '/charges',
      headers: form,
      body: 'amount=1&__proto__[polluted]=1&constructor[prototype][x]=1',
    });
    expect(error.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('validates deepObject query parameters whose schema has no type, and name[] arrays', async () => {
    await handlers.request!(createTestContext({ path: '/charges', query: 'created[gt]=5&expand[]=a' }));
    const error = await errorsOf(handlers, { path: '/charges', query: 'created[gt]=soon&expand[]=toolong' });
    expect(error.errors).toEqual(
      expect.arrayContaining([
        { path: 'query.created.gt', message: 'must be integer' },
        { path: 'query.expand[0]', message: 'must NOT have more than 5 characters' },
      ]),
    );
  });

  it('counts only own properties of a JSON body and bounds its depth (400, never 500)', async () => {
    const missing = await errorsOf(handlers, { method: 'POST', path: '/charges', headers: json, body: '{}' });
    expect(missing.errors).toEqual([{ path: 'body.constructor', message: 'is required' }]);
    const deep = await errorsOf(handlers, {
      method: 'POST',
      path: '/charges',
      headers: json,
      body: `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
    });
    expect(deep.status).toBe(400);
    expect(deep.errors).toEqual([{ path: 'body', message: 'nests arrays/objects deeper than 100 levels' }]);
  });

  it('refuses unknown keywords and patterns RE2 cannot run at load, with their path', () => {
    const broken = structuredClone(document) as Record<string, any>;
    broken.paths['/charges'].get.parameters[1].schema.items.maxLenght = 5;
    expect(() => createPolicy(openapiValidationPolicy, { document: broken })).toThrow(
      'config.document.paths["/charges"].get.parameters[1].schema.items: unknown keyword "maxLenght"',
    );
    const lookahead = structuredClone(document) as Record<string, any>;
    lookahead.paths['/charges'].get.parameters[1].schema.items.pattern = '^(?!x)';
    expect(() => createPolicy(openapiValidationPolicy, { document: lookahead })).toThrow(
      'config.document.paths["/charges"].get.parameters[1].schema.items.pattern: pattern "^(?!x)" is not supported by the linear-time (RE2) engine',
    );
  });
});
