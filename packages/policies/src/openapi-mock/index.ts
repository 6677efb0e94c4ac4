/**
 * Mock mode of an API (`upstream.mock`), loaded at config compile by gateways and checked by the
 * control plane and `gatehouse validate` (see checkMockProblems in the catalog). Compiled mocks are kept by the hash
 * of their document and settings, so a reload that leaves them unchanged (the usual case: a key or a
 * plan changed) reuses the prepared answers instead of generating them again. A reload or a hybrid
 * snapshot prepares a changed mock first (prepareMock: the document parsed and normalized in a worker
 * thread, the answers built in slices) so the synchronous compile only picks it up.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Api, Mock } from '@gatehouse/config';
import { jsonKey } from '@gatehouse/core';
import { loadDocument } from '../json-schema/load-document.js';
import { prepareOpenApiSource } from '../openapi-validation/prepare-document.js';
import { type CompiledMock, compileMock, compileMockInSlices } from './mock-document.js';

export { type CompiledMock, compileMock } from './mock-document.js';
export { type MockAnswer, mockAnswer } from './responder.js';

const MAX_CACHED = 4;
const WHAT = "the API's openapi document";
/** By document key, then the mock settings. */
const cache = new Map<string, CompiledMock>();

const cacheKey = (documentKey: string, mock: Mock) => `${documentKey}\u0000${JSON.stringify(mock)}`;

function remember(key: string, compiled: CompiledMock): CompiledMock {
  cache.set(key, compiled);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
  return compiled;
}

function enabledMock(api: Api): Mock | undefined {
  const mock = api.upstream.mock;
  if (!mock || mock.enabled === false) return undefined;
  if (api.openapi === undefined) throw new Error("mock mode needs the API's `openapi` document");
  return mock;
}

/**
 * The API's compiled mock, or undefined when mock mode is off. Throws an Error saying what is wrong.
 * `prepared` is what prepareMock() built for this API in the same compilation.
 */
export function loadMock(
  api: Api,
  resolvePath: (p: string) => string,
  prepared?: CompiledMock | Error,
): CompiledMock | undefined {
  const mock = enabledMock(api);
  if (!mock) return undefined;
  if (prepared instanceof Error) throw prepared;
  if (prepared) return prepared;
  const source = api.openapi;
  let documentKey: string;
  try {
    documentKey =
      typeof source === 'string'
        ? createHash('sha256')
            .update(readFileSync(resolvePath(source), 'utf8'))
            .digest('hex')
        : jsonKey(source);
  } catch (error) {
    throw new Error(`cannot read the openapi file "${source}": ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const key = cacheKey(documentKey, mock);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    return remember(key, hit);
  }
  return remember(key, compileMock(loadDocument(source, resolvePath, WHAT), mock));
}

/** loadMock() without blocking the event loop for long: undefined when mock mode is off. Rejects like loadMock throws. */
export async function prepareMock(api: Api, resolvePath: (p: string) => string): Promise<CompiledMock | undefined> {
  const mock = enabledMock(api);
  if (!mock) return undefined;
  const source = api.openapi;
  const suffix = cacheKey('', mock);
  const cachedKeys = [...cache.keys()].filter((k) => k.endsWith(suffix)).map((k) => k.slice(0, -suffix.length));
  const file = typeof source === 'string' ? resolvePath(source) : undefined;
  const prepared = await prepareOpenApiSource(source, file, WHAT, { check: false, cachedKeys }).catch(
    (error: unknown) => {
      const code = (error as Error).message.match(/^cannot read .* file "[^"]*": (\S+)$/)?.[1];
      throw code ? new Error(`cannot read the openapi file "${source}": ${code}`) : error;
    },
  );
  // No worker script (tests from source): the synchronous way.
  if (!prepared) return loadMock(api, resolvePath);
  if ('cached' in prepared) {
    const key = cacheKey(prepared.cached, mock);
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      return remember(key, hit);
    }
    return loadMock(api, resolvePath);
  }
  return remember(cacheKey(prepared.key, mock), await compileMockInSlices(prepared.doc, mock));
}
