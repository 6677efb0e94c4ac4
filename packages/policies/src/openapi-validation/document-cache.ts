/**
 * Compiled OpenAPI documents by content hash, shared across config versions and policy instances.
 * A hot reload that leaves a 4 MB document unchanged (the usual case: a plan or a key changed) reuses
 * the prepared document, its Ajv instances and every operation already compiled, instead of blocking
 * the event loop to parse, check and index it again. Validators are pure functions of the document,
 * so sharing them between versions changes no behaviour. The last few documents are kept.
 */
import { createHash } from 'node:crypto';
import type { CompiledDocument } from './operations.js';

const MAX_DOCUMENTS = 4;
const documents = new Map<string, CompiledDocument>();

export function documentKey(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function cachedDocument(key: string, build: () => CompiledDocument): CompiledDocument {
  return peekDocument(key) ?? storeDocument(key, build());
}

/** The document under `key` if held (then most recently used). */
export function peekDocument(key: string): CompiledDocument | undefined {
  const hit = documents.get(key);
  if (hit) {
    documents.delete(key); // most recently used last
    documents.set(key, hit);
  }
  return hit;
}

export function storeDocument(key: string, built: CompiledDocument): CompiledDocument {
  documents.set(key, built);
  if (documents.size > MAX_DOCUMENTS) documents.delete(documents.keys().next().value!);
  return built;
}

export function cachedKeys(): string[] {
  return [...documents.keys()];
}
