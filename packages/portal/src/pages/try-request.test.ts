import { describe, expect, it } from 'vitest';
import { contrastText } from '../settings';
import { buildRequest, operationsOf } from './try-request';

const doc = {
  paths: {
    '/items/{id}': {
      parameters: [{ name: 'id', in: 'path' as const, required: true }],
      get: { summary: 'Get', parameters: [{ name: 'q', in: 'query' as const }] },
      put: {
        operationId: 'putItem',
        requestBody: { content: { 'application/json': { example: { a: 1 } } } },
        parameters: [{ name: 'x-trace', in: 'header' as const }],
      },
      summary: 'not an operation',
    },
  },
};

describe('try it requests', () => {
  it('lists the operations of a document with path-level parameters merged', () => {
    const ops = operationsOf(doc);
    expect(ops.map((o) => o.id)).toEqual(['GET /items/{id}', 'PUT /items/{id}']);
    expect(ops[0]!.parameters.map((p) => p.name)).toEqual(['id', 'q']);
    expect(ops[1]!.bodyExample).toBe(JSON.stringify({ a: 1 }, null, 2));
  });

  it('builds the URL from the server, path values (encoded), query and headers, with the key', () => {
    const [get, put] = operationsOf(doc);
    const request = buildRequest(
      'http://gw.test/base/',
      get!,
      { 'path:id': 'a/b c', 'query:q': 'x&y' },
      { header: 'X-Api-Key', key: 'k1' },
      '',
    );
    expect(request).toEqual({
      url: 'http://gw.test/base/items/a%2Fb%20c?q=x%26y',
      init: { method: 'GET', headers: { 'X-Api-Key': 'k1' } },
    });
    const withBody = buildRequest(
      'http://gw.test',
      put!,
      { 'path:id': '1', 'header:x-trace': 't' },
      { header: 'X-Api-Key', key: '' },
      '{"b":2}',
    );
    expect(withBody).toEqual({
      url: 'http://gw.test/items/1',
      init: { method: 'PUT', headers: { 'x-trace': 't', 'content-type': 'application/json' }, body: '{"b":2}' },
    });
  });

  it('refuses a missing required parameter', () => {
    const [get] = operationsOf(doc);
    expect(buildRequest('http://gw.test', get!, {}, { header: 'X-Api-Key', key: '' }, '')).toBe(
      'id (path) is required',
    );
  });
});

describe('primary colour', () => {
  it('picks the text colour that reads best on it', () => {
    expect(contrastText('#1f5fbf')).toBe('#ffffff');
    expect(contrastText('#ffdd00')).toBe('#111111');
    expect(contrastText('not a colour')).toBe('#ffffff');
  });
});
