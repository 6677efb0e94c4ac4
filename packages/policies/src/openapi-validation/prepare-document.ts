/**
 * The asynchronous way to an OpenAPI document's CompiledDocument, for hot reloads and hybrid snapshots:
 * a worker thread reads, hashes and parses a file (an inline document is sent to it as pieces cut in
 * slices, which also give its key), normalizes and checks it (document-worker.ts); the main thread only
 * reassembles the pieces it sends back (one small message per event-loop turn) and indexes the
 * operations in slices (compileDocumentInSlices). An unchanged document is found in the cache by its key.
 * Without the built worker script (tests run from source before a build) it falls back to the
 * synchronous path.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { jsonKey, jsonPiecesInSlices } from '@gatehouse/core';
import { loadDocument, parseText, readText } from '../json-schema/load-document.js';
import { type Json, type OpenApiDocument, openApiDocument, prepareDocument } from './document.js';
import { cachedDocument, cachedKeys, documentKey, peekDocument, storeDocument } from './document-cache.js';
import type { DocumentJob, WorkerMessage } from './document-worker.js';
import { documentDepthProblem, documentSizeProblem } from './limits.js';
import { type CompiledDocument, compileDocument, compileDocumentInSlices, yieldToEventLoop } from './operations.js';

/** The synchronous path (start-up of tests, inline documents): blocks while a changed document is built. */
export function loadDocumentSync(source: unknown, resolve: (p: string) => string, what: string): CompiledDocument {
  // File documents are keyed by their text (read, not parsed); inline ones by their JSON.
  const text = typeof source === 'string' ? readText(source, resolve, what) : undefined;
  const key = text === undefined ? jsonKey(source) : documentKey(text);
  return cachedDocument(key, () => {
    const tooLarge = text === undefined ? undefined : documentSizeProblem(text);
    if (tooLarge) throw new Error(`${what} ${tooLarge}`);
    const root = text !== undefined ? parseText(text, source as string, what) : loadDocument(source, resolve, what);
    if (typeof root !== 'object' || root === null || Array.isArray(root)) {
      throw new Error(`${what} file "${String(source)}" must contain an object`);
    }
    // Inline documents were measured by check(); a file is measured once parsed, before the recursive rewrite.
    const tooDeep = documentDepthProblem(root);
    if (tooDeep) throw new Error(`${what} ${tooDeep}`);
    return compileDocument(prepareDocument(root as Json));
  });
}

function workerScript(): URL | undefined {
  const beside = new URL('./document-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  // Running from src/ (vitest): use the build's worker when there is one.
  const built = new URL('../../dist/openapi-validation/document-worker.js', import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : undefined;
}

/** A document the worker prepared (normalized, and checked when asked), or the key of one already held. */
export type PreparedSource = { cached: string } | { key: string; doc: OpenApiDocument; declaresIds: boolean };

/**
 * Reads and parses (a file) or rebuilds (an inline document, sent as pieces made in slices), then
 * normalizes and optionally checks it in a worker thread; the result comes back in acknowledged pieces.
 * Undefined without the built worker script: the caller then takes its synchronous path.
 */
export async function prepareOpenApiSource(
  source: unknown,
  file: string | undefined,
  what: string,
  options: { check: boolean; cachedKeys: string[] },
): Promise<PreparedSource | undefined> {
  const script = workerScript();
  if (!script) return undefined;
  let from: DocumentJob['from'];
  if (file !== undefined) from = { file };
  else {
    const { key, pieces } = await jsonPiecesInSlices(source);
    if (options.cachedKeys.includes(key)) return { cached: key };
    from = { pieces, key };
  }
  const job: DocumentJob = { from, source: typeof source === 'string' ? source : 'inline', what, ...options };
  const worker = new Worker(script, { workerData: job });
  worker.unref();
  try {
    const prepared = await receive(worker);
    if ('cached' in prepared) return prepared;
    return {
      key: prepared.key,
      doc: openApiDocument(prepared.root, prepared.dialect),
      declaresIds: prepared.declaresIds,
    };
  } finally {
    void worker.terminate();
  }
}

/** An inline document already built, by object: the compile after prepareDocumentOffThread() finds it without hashing it again. */
const byObject = new WeakMap<object, CompiledDocument>();

export function preparedInline(source: unknown): CompiledDocument | undefined {
  return typeof source === 'object' && source !== null ? byObject.get(source) : undefined;
}

/** A file or inline document, prepared off the event loop and indexed in slices (hot reloads, hybrid snapshots). */
export async function prepareDocumentOffThread(
  source: unknown,
  file: string | undefined,
  what: string,
): Promise<CompiledDocument> {
  // What an earlier preparation of this object left must not answer for this one (if it fails).
  if (typeof source === 'object' && source !== null) byObject.delete(source);
  const prepared = await prepareOpenApiSource(source, file, what, { check: true, cachedKeys: cachedKeys() });
  let built: CompiledDocument | undefined;
  if (prepared && 'cached' in prepared) built = peekDocument(prepared.cached);
  else if (prepared)
    built = storeDocument(
      prepared.key,
      await compileDocumentInSlices(prepared.doc, { checked: true, declaresIds: prepared.declaresIds }),
    );
  // No worker script, or evicted meanwhile (another reload): build it the synchronous way.
  built ??= loadDocumentSync(source, (p) => file ?? p, what);
  if (typeof source === 'object' && source !== null) byObject.set(source, built);
  return built;
}

/** A file document off the event loop (hot reloads of a standalone gateway). */
export function prepareFileDocument(file: string, source: string, what: string): Promise<CompiledDocument> {
  return prepareDocumentOffThread(source, file, what);
}

type Received = { cached: string } | (WorkerMessage & { type: 'head' });

/** Collects the worker's messages into the document, acknowledging each piece on a later event-loop turn. */
function receive(worker: Worker): Promise<Received> {
  return new Promise((resolve, reject) => {
    let head: (WorkerMessage & { type: 'head' }) | undefined;
    // Once settled, the worker is being terminated: nothing it still emits matters (nor may crash the gateway).
    const settle = () => {
      worker.removeAllListeners();
      worker.on('error', () => undefined);
    };
    const fail = (error: Error) => {
      settle();
      reject(error);
    };
    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'cached':
          settle();
          return resolve({ cached: message.key });
        case 'error':
          return fail(new Error(message.message));
        case 'head':
          head = message;
          break;
        case 'piece': {
          let target: Json = head!.root;
          for (const key of message.at) target = target[key] as Json;
          for (const [key, value] of message.entries) {
            if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true });
            else target[key] = value;
          }
          break;
        }
        case 'done':
          settle();
          return resolve(head!);
      }
      void yieldToEventLoop().then(() => worker.postMessage('next'));
    });
    worker.once('error', fail);
    worker.once('exit', (code) => fail(new Error(`the OpenAPI document worker stopped (exit code ${code})`)));
  });
}
