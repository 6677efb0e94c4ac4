import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { prepareDocument } from '../openapi-validation/document.js';
import { GENERATION_LIMITS, generateExample } from './generate.js';
import { compileMock } from './mock-document.js';
import { mockAnswer, negotiate, parsePrefer } from './responder.js';

type Json = Record<string, unknown>;

function generate(schema: unknown, components: Json = {}, version = '3.1.0') {
  const doc = prepareDocument({ openapi: version, paths: {}, components: { schemas: components } });
  return generateExample(doc, schema, '/x', { document: GENERATION_LIMITS.documentNodes });
}

const petstore: Json = {
  openapi: '3.0.3',
  info: { title: 'Pets', version: '1' },
  paths: {
    '/pets': {
      get: {
        responses: {
          '200': {
            description: 'ok',
            headers: { 'x-total': { schema: { type: 'integer', minimum: 3 } }, 'bad\nname': { example: 'x' } },
            content: {
              'application/json': {
                examples: {
                  two: { value: [{ id: 1 }, { id: 2 }] },
                  empty: { $ref: '#/components/examples/empty' },
                },
              },
              'text/csv': { example: 'id\n1\n2\n' },
            },
          },
          default: {
            description: 'error',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
        },
      },
      post: {
        responses: {
          '201': {
            description: 'created',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } },
          },
        },
      },
    },
    '/pets/{petId}': {
      get: {
        responses: {
          '200': {
            description: 'ok',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } },
          },
          '404': {
            description: 'missing',
            content: { 'application/problem+json': { example: { title: 'no such pet' } } },
          },
        },
      },
      delete: { responses: { '204': { description: 'gone' } } },
    },
  },
  components: {
    examples: { empty: { value: [] } },
    schemas: {
      Pet: {
        type: 'object',
        required: ['id', 'name'],
        properties: {
          id: { type: 'integer', format: 'int64', minimum: 1 },
          name: { type: 'string', example: 'Rex' },
          tag: { type: 'string', nullable: true },
          secret: { type: 'string', writeOnly: true },
        },
      },
      Error: { type: 'object', properties: { code: { type: 'integer' }, message: { type: 'string' } } },
    },
  },
};

const json = (body: Buffer) => JSON.parse(body.toString());

describe('schema generation', () => {
  it('fills types, formats, bounds and enums', () => {
    expect(
      generate({
        type: 'object',
        properties: {
          when: { type: 'string', format: 'date-time' },
          mail: { type: 'string', format: 'email' },
          id: { type: 'string', format: 'uuid' },
          short: { type: 'string', minLength: 10 },
          tiny: { type: 'string', maxLength: 3 },
          n: { type: 'integer', minimum: 5, maximum: 9 },
          x: { type: 'number', exclusiveMinimum: 1 },
          m: { type: 'integer', minimum: 1, multipleOf: 5 },
          color: { enum: ['red', 'blue'] },
          fixed: { const: 'k' },
          flag: { type: 'boolean' },
          tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
          kind: { type: ['null', 'string'] },
          given: { type: 'integer', default: 42 },
          pair: { type: 'array', prefixItems: [{ type: 'integer' }, { type: 'string' }] },
        },
      }),
    ).toEqual({
      when: '2024-01-01T00:00:00Z',
      mail: 'user@example.com',
      id: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
      short: 'stringxxxx',
      tiny: 'str',
      n: 5,
      x: 1.5,
      m: 5,
      color: 'red',
      fixed: 'k',
      flag: true,
      tags: ['string', 'string'],
      kind: 'string',
      given: 42,
      pair: [0, 'string'],
    });
  });

  it('merges allOf, takes the first non-null option of oneOf/anyOf, rewrites 3.0 nullable', () => {
    const components = {
      Base: { type: 'object', properties: { id: { type: 'integer' } } },
      Cat: { type: 'object', properties: { meow: { type: 'boolean' } } },
    };
    expect(
      generate(
        { allOf: [{ $ref: '#/components/schemas/Base' }, { properties: { name: { type: 'string' } } }] },
        components,
      ),
    ).toEqual({ id: 0, name: 'string' });
    expect(generate({ oneOf: [{ $ref: '#/components/schemas/Cat' }, { type: 'string' }] }, components)).toEqual({
      meow: true,
    });
    expect(generate({ anyOf: [{ type: 'null' }, { type: 'integer', minimum: 3 }] })).toBe(3);
    expect(generate({ type: 'string', nullable: true }, {}, '3.0.3')).toBe('string');
  });

  it('stops a recursive schema: optional self-references are left out, required ones end at the depth limit', () => {
    const components = {
      Node: {
        type: 'object',
        required: ['value'],
        properties: {
          value: { type: 'integer' },
          next: { $ref: '#/components/schemas/Node' },
          children: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
        },
      },
      Chain: { type: 'object', required: ['next'], properties: { next: { $ref: '#/components/schemas/Chain' } } },
      Loop: { allOf: [{ $ref: '#/components/schemas/Loop' }] },
    };
    const node = generate({ $ref: '#/components/schemas/Node' }, components) as Json;
    expect(node.value).toBe(0);
    expect(node.next).toBeUndefined();
    let depth = 0;
    let chain = generate({ $ref: '#/components/schemas/Chain' }, components) as Json | undefined;
    while (chain?.next !== undefined) {
      chain = chain.next as Json;
      depth++;
    }
    expect(depth).toBeLessThanOrEqual(GENERATION_LIMITS.maxDepth);
    expect(generate({ $ref: '#/components/schemas/Loop' }, components)).toBeDefined();
  });

  it('bounds one value and the whole document', () => {
    const wide: Json = { type: 'object', properties: {} };
    for (let i = 0; i < 50; i++)
      (wide.properties as Json)[`p${i}`] = {
        type: 'array',
        minItems: 1000,
        items: { type: 'string', minLength: 100000 },
      };
    const text = JSON.stringify(generate(wide));
    expect(text.length).toBeLessThan(GENERATION_LIMITS.maxNodes * (GENERATION_LIMITS.maxStringLength + 10));
    const doc = prepareDocument({ openapi: '3.1.0', paths: {} });
    const budget = { document: 10 };
    const first = generateExample(doc, wide, '/x', budget) as Json;
    expect(Object.keys(first).length).toBeLessThan(10);
    expect(budget.document).toBeLessThanOrEqual(0);
    expect(generateExample(doc, wide, '/x', budget)).toEqual({});
  });
});

describe('mock answers', () => {
  const mock = compileMock(petstore, {});
  const answer = (method: string, path: string, accept?: string, prefer?: string) =>
    mockAnswer(mock, method, path, accept, prefer);

  it('answers the first named example of the lowest 2xx response, with headers generated and marked as a mock', () => {
    const a = answer('GET', '/pets');
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('application/json');
    expect(a.headers['x-gatehouse-mock']).toBe('true');
    expect(a.headers['x-total']).toBe('3');
    expect(Object.keys(a.headers)).not.toContain('bad\nname');
    expect(json(a.body)).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('generates from the schema when no example exists (writeOnly left out)', () => {
    const a = answer('GET', '/pets/7');
    expect(json(a.body)).toEqual({ id: 1, name: 'Rex', tag: 'string' });
    expect(answer('POST', '/pets').status).toBe(201);
  });

  it('picks the content type by Accept, falling back to the default one', () => {
    expect(answer('GET', '/pets', 'text/csv').body.toString()).toBe('id\n1\n2\n');
    expect(answer('GET', '/pets', 'text/*;q=0.5, application/json;q=0.9').headers['content-type']).toBe(
      'application/json',
    );
    expect(answer('GET', '/pets', 'image/png').headers['content-type']).toBe('application/json');
    // JSON by default even when declared after another type (jsonb does not keep the author's order).
    const csvFirst = structuredClone(petstore) as { paths: Record<string, Record<string, Json>> };
    const content = (csvFirst.paths['/pets']!.get!.responses as Record<string, Json>)['200']!.content as Json;
    (csvFirst.paths['/pets']!.get!.responses as Record<string, Json>)['200']!.content = {
      'text/csv': content['text/csv'],
      'application/json': content['application/json'],
    };
    const reordered = compileMock(csvFirst, {});
    expect(mockAnswer(reordered, 'GET', '/pets', undefined, undefined).headers['content-type']).toBe(
      'application/json',
    );
    expect(mockAnswer(reordered, 'GET', '/pets', '*/*', undefined).headers['content-type']).toBe('application/json');
  });

  it('honours Prefer code= and example= ($ref examples resolved), and `default` for undeclared codes', () => {
    const missing = answer('GET', '/pets/1', undefined, 'code=404');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('application/problem+json');
    expect(json(answer('GET', '/pets', undefined, 'example="empty"').body)).toEqual([]);
    const error = answer('GET', '/pets', undefined, 'code=503');
    expect(error.status).toBe(503);
    expect(json(error.body)).toEqual({ code: 0, message: 'string' });
    expect(answer('GET', '/pets/1', undefined, 'code=500').status).toBe(200); // neither declared nor default
  });

  it('answers 204 without a body or content type; HEAD like GET', () => {
    const gone = answer('DELETE', '/pets/1');
    expect(gone.status).toBe(204);
    expect(gone.body.length).toBe(0);
    expect(gone.headers['content-type']).toBeUndefined();
    expect(answer('HEAD', '/pets').status).toBe(200);
  });

  it('refuses paths and methods the document does not describe', () => {
    expect(() => answer('GET', '/owners')).toThrow(GatewayError);
    try {
      answer('PUT', '/pets');
    } catch (error) {
      expect((error as GatewayError).code).toBe('method_not_allowed');
    }
  });

  it('applies per-operation choices and ignores Prefer when turned off', () => {
    const chosen = compileMock(petstore, {
      preferHeader: false,
      operations: {
        'GET /pets/{petId}': { status: 404 },
        'GET /pets': { contentType: 'application/json', example: 'empty' },
      },
    });
    expect(mockAnswer(chosen, 'GET', '/pets/1', undefined, undefined).status).toBe(404);
    expect(json(mockAnswer(chosen, 'GET', '/pets', undefined, 'example=two').body)).toEqual([]);
    expect(mockAnswer(chosen, 'GET', '/pets/1', undefined, 'code=200').status).toBe(404);
  });

  it('refuses choices the document cannot satisfy, naming the operation', () => {
    expect(() => compileMock(petstore, { operations: { 'GET /pets/{petId}': { status: 418 } } })).toThrow(
      /GET \/pets\/\{petId\}: declares no response 418/,
    );
    expect(() => compileMock(petstore, { operations: { 'GET /pets': { contentType: 'application/xml' } } })).toThrow(
      /no content type/,
    );
    expect(() => compileMock(petstore, { operations: { 'GET /pets': { example: 'nope' } } })).toThrow(/no example/);
    expect(() => compileMock(petstore, { operations: { 'PUT /owners': {} } })).toThrow(/has no PUT \/owners/);
  });

  it('parses Prefer and Accept defensively', () => {
    expect(parsePrefer('code=404; example=x')).toEqual({ code: 404, example: 'x' });
    expect(parsePrefer('code=99, wait=5')).toEqual({});
    const response = compileMock(petstore, {}).matcher.match('/pets')!.value.operations.get('GET')!.chosen;
    expect(negotiate(response, `${'x/y, '.repeat(10000)}text/csv`)?.range).toBe('application/json');
  });
});
