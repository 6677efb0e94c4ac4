/**
 * openapi-validation's write-time check: an inline document is loaded as a gateway loads it, and every problem
 * comes back at its field path inside the config (and, through the catalog, inside the document).
 */
import { describe, expect, it } from 'vitest';
import { checkPolicyRef } from '../catalog.js';
import { openapiValidationContract } from './contract.js';
import { MAX_DOCUMENT_CHARACTERS, MAX_DOCUMENT_DEPTH } from './limits.js';
import type { OpenApiValidationConfig } from './schema.js';

const check = (document: unknown) =>
  openapiValidationContract.check!({ document } as unknown as OpenApiValidationConfig);

function doc(schemas: Record<string, unknown>, paths: Record<string, unknown> = {}) {
  return { openapi: '3.1.0', info: { title: 't', version: '1' }, paths, components: { schemas } };
}

describe('openapi-validation check()', () => {
  it('accepts a document that loads, and leaves file documents to the gateway', () => {
    const pet = { type: 'object', properties: { name: { type: 'string', pattern: '^[a-z]+$' } } };
    const paths = { '/pets/{id}': { get: { parameters: [{ name: 'id', in: 'path', schema: { type: 'integer' } }] } } };
    expect(check(doc({ Pet: pet }, paths))).toEqual([]);
    expect(check('openapi.yaml')).toEqual([]);
    expect(check(undefined)).toEqual([]);
  });

  it('refuses a pattern RE2 cannot run, at its path', () => {
    const pet = { type: 'object', properties: { name: { type: 'string', pattern: '^(?=a)\\w+$' } } };
    const issues = check(doc({ Pet: pet }));
    expect(issues.map((i) => i.path)).toEqual(['document.components.schemas.Pet.properties.name.pattern']);
    expect(issues[0]!.message).toMatch(/RE2|lookahead|invalid|not/i);
  });

  it('lists every problem of the document in one pass: unknown keywords, patterns, $refs, odd names quoted', () => {
    const issues = check(
      doc(
        { A: { type: 'string', minLenght: 3 }, B: { type: 'string', pattern: '(a)\\1' }, C: { $ref: '#/nope' } },
        {
          '/pets/{id}': {
            post: {
              requestBody: {
                content: { 'application/json': { schema: { type: 'object', requird: ['x'] } } },
              },
            },
          },
        },
      ),
    );
    const paths = issues.map((i) => i.path);
    expect(paths).toContain('document.components.schemas.A');
    expect(paths).toContain('document.components.schemas.B.pattern');
    expect(paths).toContain('document.components.schemas.C.$ref');
    expect(paths).toContain('document.paths["/pets/{id}"].post.requestBody.content["application/json"].schema');
    expect(issues.find((i) => i.path === 'document.components.schemas.A')!.message).toContain('minLenght');
  });

  it('refuses what is not OpenAPI 3.x and broken parameters', () => {
    expect(check({ swagger: '2.0', paths: {} })).toEqual([
      { path: 'document', message: expect.stringContaining('OpenAPI 3.0 and 3.1') },
    ]);
    const broken = doc({}, { '/x': { get: { parameters: [{ in: 'query' }] } } });
    expect(check(broken)).toEqual([{ path: 'document', message: expect.stringContaining('needs a name') }]);
  });

  it('bounds depth and size before anything recursive walks the document', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 50_000; i++) deep = { allOf: [deep] };
    expect(check(doc({ Deep: deep }))).toEqual([
      { path: 'document', message: `the document nests deeper than ${MAX_DOCUMENT_DEPTH} levels` },
    ]);
    const huge = doc({ Big: { type: 'string', description: 'x'.repeat(MAX_DOCUMENT_CHARACTERS) } });
    expect(check(huge)).toEqual([
      { path: 'document', message: `the document is larger than ${MAX_DOCUMENT_CHARACTERS} characters` },
    ]);
  });

  it('reports through the catalog at the config path, as the control plane and `gatehouse validate` show it', () => {
    const pet = { type: 'object', properties: { name: { type: 'string', pattern: '^(?!x)' } } };
    const checked = checkPolicyRef(
      { policy: 'openapi-validation', config: { document: doc({ Pet: pet }) } },
      'body.policies[0]',
      'api',
    );
    expect(checked.problems.map((p) => p.path)).toEqual([
      'body.policies[0].config.document.components.schemas.Pet.properties.name.pattern',
    ]);
  });
});
