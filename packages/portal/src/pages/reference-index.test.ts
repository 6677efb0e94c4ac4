import { describe, expect, it } from 'vitest';
import type { OpenApiDocument } from '../api';
import { markdownPlainText } from './catalog';
import { indexDocument, matching, operationCount, tagDocument, UNTAGGED } from './reference-index';

const doc: OpenApiDocument = {
  openapi: '3.0.3',
  info: { title: 'T', version: '1' },
  tags: [{ name: 'later', description: 'Declared first' }, { name: 'unused' }],
  components: { schemas: { Item: { type: 'object' } } },
  paths: {
    '/a': {
      parameters: [{ name: 'x', in: 'query' }],
      get: { operationId: 'listA', summary: 'List the As', tags: ['first'] },
      post: { tags: ['first', 'later'] },
    },
    '/b/{id}': { delete: { summary: 'Remove a B' }, summary: 'path-level text' },
  },
};

describe('reference index', () => {
  it('lists tags as Swagger UI does: declared first, then by first use, untagged under default', () => {
    const tags = indexDocument(doc);
    expect(tags.map((t) => [t.name, t.operations.length])).toEqual([
      ['later', 1],
      ['first', 2],
      [UNTAGGED, 1],
    ]);
    expect(tags[0]!.description).toBe('Declared first');
    expect(operationCount(doc)).toBe(3);
  });

  it('filters on method, path, operation id and summary, case-insensitively, or on the tag name', () => {
    const first = indexDocument(doc).find((t) => t.name === 'first')!;
    expect(matching(first, 'LISTA').map((o) => o.method)).toEqual(['GET']);
    expect(matching(first, 'post').map((o) => o.method)).toEqual(['POST']);
    expect(matching(first, 'fir')).toHaveLength(2);
    expect(matching(first, 'nothing')).toEqual([]);
  });

  it('cuts the document to one tag, keeping path-level fields and components', () => {
    const part = tagDocument(doc, 'first');
    expect(Object.keys(part.paths!)).toEqual(['/a']);
    expect(Object.keys(part.paths!['/a']!)).toEqual(['parameters', 'get', 'post']);
    expect(part.components).toBe(doc.components);
    expect(tagDocument(doc, UNTAGGED).paths).toEqual({ '/b/{id}': doc.paths!['/b/{id}'] });
    const only = matching(indexDocument(doc).find((t) => t.name === 'first')!, 'lista');
    expect(Object.keys(tagDocument(doc, 'first', only).paths!['/a']!)).toEqual(['parameters', 'get']);
  });
});

describe('catalog card text', () => {
  it('drops Markdown punctuation and keeps the words (rendered as text, never as HTML)', () => {
    expect(markdownPlainText('# Orders\n\nCreate **orders** and [track](https://x.test) them: `GET /o`.')).toBe(
      'Orders Create orders and track them: GET /o.',
    );
    expect(markdownPlainText('<img src=x onerror=alert(1)> - one\n- two')).toBe('one two');
    expect(markdownPlainText('A. <script>window.x = 1</script><STYLE>p{}</STYLE> **bold**')).toBe('A. bold');
    expect(markdownPlainText(null)).toBe('');
  });
});
