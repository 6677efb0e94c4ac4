/**
 * Mock mode of an API (`upstream.mock`), loaded at config compile by gateways and checked by the
 * control plane and `gatehouse validate` (see checkMockProblems in the catalog). Compiled mocks are kept by the hash
 * of their document and settings, so a reload that leaves them unchanged (the usual case: a key or a
 * plan changed) reuses the prepared answers instead of generating them again.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Api } from '@gatehouse/config';
import { loadDocument } from '../json-schema/load-document.js';
import { type CompiledMock, compileMock } from './mock-document.js';

export { type CompiledMock, compileMock } from './mock-document.js';
export { type MockAnswer, mockAnswer } from './responder.js';

const MAX_CACHED = 4;
const cache = new Map<string, CompiledMock>();

/** The API's compiled mock, or undefined when mock mode is off. Throws an Error saying what is wrong. */
export function loadMock(api: Api, resolvePath: (p: string) => string): CompiledMock | undefined {
  const mock = api.upstream.mock;
  if (!mock || mock.enabled === false) return undefined;
  const source = api.openapi;
  if (source === undefined) throw new Error("mock mode needs the API's `openapi` document");
  let text: string;
  try {
    text = typeof source === 'string' ? readFileSync(resolvePath(source), 'utf8') : JSON.stringify(source);
  } catch (error) {
    throw new Error(`cannot read the openapi file "${source}": ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const key = createHash('sha256').update(text).update('\u0000').update(JSON.stringify(mock)).digest('hex');
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const root = loadDocument(source, resolvePath, "the API's openapi document");
  const compiled = compileMock(root, mock);
  cache.set(key, compiled);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
  return compiled;
}
