import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticOpenApi } from '../testing/index.js';
import type { CompiledDocument } from './operations.js';
import { loadDocumentSync, prepareFileDocument } from './prepare-document.js';
import { validateParameters } from './validate-request.js';

const all = { path: true, query: true, header: true, cookie: true };

/** Query-parameter errors of GET /v1/resource_1 for `limit`, as the request path would compute them. */
function limitErrors(doc: CompiledDocument, limit: string) {
  const match = doc.matcher.match('/v1/resource_1')!;
  const op = match.value.operations.get('GET')!.compiled();
  return validateParameters(op, { pathParams: match.params, query: new URLSearchParams({ limit }), headers: {} }, all);
}

/** Ajv error counts of every JSON body validator of the document on one odd body. */
function bodyVerdicts(doc: CompiledDocument): number[] {
  const out: number[] = [];
  for (let p = 0; p < 30; p++) {
    const match = doc.matcher.match(`/v1/resource_${p}`);
    for (const handle of match?.value.operations.values() ?? []) {
      for (const media of handle.compiled().body?.media ?? []) {
        if (media.kind !== 'json' || !media.validate) continue;
        media.validate({ id: 5, amount: 'x', metadata: [] });
        out.push(media.validate.errors?.length ?? 0);
      }
    }
  }
  return out;
}

// The worker path (what a hot reload uses) against the synchronous one, on the same files.
describe('prepareFileDocument', () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gh-openapi-prepare-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('builds the document the synchronous path builds, and finds an unchanged file by its hash', async () => {
    const text = JSON.stringify(syntheticOpenApi({ paths: 30, schemas: 40 }));
    await writeFile(file('a.json'), text);
    const prepared = await prepareFileDocument(file('a.json'), 'a.json', 'document');
    await writeFile(file('b.json'), text.replace('"2026-01-01"', '"2026-01-02"'));
    const sync = loadDocumentSync('b.json', file, 'document');
    expect(prepared).not.toBe(sync);
    expect(prepared.operationCount).toBe(sync.operationCount);
    for (const doc of [prepared, sync]) {
      expect(limitErrors(doc, '5')).toEqual([]);
      expect(limitErrors(doc, '500')).toEqual([{ path: 'query.limit', message: 'must be <= 100' }]);
    }
    // Every operation compiles, and body validators reach the components (through $refs) alike.
    expect(bodyVerdicts(prepared)).toEqual(bodyVerdicts(sync));
    expect(bodyVerdicts(prepared).some((errors) => errors > 0)).toBe(true);
    expect(await prepareFileDocument(file('a.json'), 'a.json', 'document')).toBe(prepared);
  });

  it('refuses a broken document with the message the synchronous path gives', async () => {
    const broken = syntheticOpenApi({ paths: 3, schemas: 10 }) as {
      components: { schemas: Record<string, Record<string, unknown>> };
    };
    Object.values(broken.components.schemas)[0]!.maxLenght = 5;
    await writeFile(file('broken.json'), JSON.stringify(broken));
    let expected = '';
    try {
      loadDocumentSync('broken.json', file, 'document');
    } catch (error) {
      expected = (error as Error).message;
    }
    expect(expected).toContain('unknown keyword "maxLenght"');
    await expect(prepareFileDocument(file('broken.json'), 'broken.json', 'document')).rejects.toThrow(expected);
    await writeFile(file('not-json.json'), '{"openapi": ');
    await expect(prepareFileDocument(file('not-json.json'), 'not-json.json', 'document')).rejects.toThrow(
      'document file "not-json.json" is not valid JSON',
    );
  });

  it('still resolves $refs in a document that declares $id (Ajv indexes it whole)', async () => {
    const doc = syntheticOpenApi({ paths: 3, schemas: 10 }) as {
      components: { schemas: Record<string, Record<string, unknown>> };
    };
    Object.values(doc.components.schemas)[0]!.$id = 'urn:example:first';
    await writeFile(file('ids.json'), JSON.stringify(doc));
    const prepared = await prepareFileDocument(file('ids.json'), 'ids.json', 'document');
    expect(limitErrors(prepared, '500')).toEqual([{ path: 'query.limit', message: 'must be <= 100' }]);
  });
});
