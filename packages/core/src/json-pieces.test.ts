import { describe, expect, it } from 'vitest';
import { assembleJson, assembleJsonInSlices, jsonKey, jsonPiecesInSlices } from './json-pieces.js';

const sample = () => ({
  openapi: '3.1.0',
  paths: {
    '/a': { get: { parameters: [{ name: 'x', in: 'query', schema: { type: 'integer', maximum: 5 } }] } },
    '/b/{id}': { post: { requestBody: { content: { 'application/json': { schema: { $ref: '#/c' } } } } } },
  },
  components: { schemas: { c: { type: 'object', properties: { deep: { a: { b: { c: [1, null, 'x'] } } } } } } },
  list: [{ a: 1 }, [2, 3], 'four', true, null],
  skipped: undefined,
});

describe('JSON pieces', () => {
  it('rebuilds the value JSON.stringify would write, at once or in slices, with one key either way', async () => {
    const value = sample();
    const { key, pieces } = await jsonPiecesInSlices(value);
    expect(pieces.length).toBeGreaterThan(5);
    expect(JSON.stringify(assembleJson(pieces))).toBe(JSON.stringify(value));
    expect(JSON.stringify(await assembleJsonInSlices(pieces))).toBe(JSON.stringify(value));
    expect(jsonKey(sample())).toBe(key);
    const changed = sample();
    changed.paths['/a'].get.parameters[0]!.schema.maximum = 6;
    expect(jsonKey(changed)).not.toBe(key);
  });

  it('keeps a `__proto__` key as data, as JSON.parse does', async () => {
    const value = JSON.parse('{"paths":{"__proto__":{"polluted":true},"/x":{}}}') as Record<string, unknown>;
    const rebuilt = assembleJson((await jsonPiecesInSlices(value)).pieces) as { paths: Record<string, unknown> };
    expect(Object.keys(rebuilt.paths)).toEqual(['__proto__', '/x']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(rebuilt.paths)).toBe(Object.prototype);
  });
});
