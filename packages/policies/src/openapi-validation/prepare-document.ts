/**
 * The asynchronous way to an OpenAPI file's CompiledDocument, for hot reloads: a worker thread reads,
 * hashes, parses, normalizes and checks it (document-worker.ts); the main thread only reassembles the
 * pieces it sends (one small message per event-loop turn) and indexes the operations in slices
 * (compileDocumentInSlices). An unchanged document is found in the cache by the worker's hash.
 * Without the built worker script (tests run from source before a build) it falls back to the
 * synchronous path.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadDocument, parseText, readText } from '../json-schema/load-document.js';
import { type Json, openApiDocument, prepareDocument } from './document.js';
import { cachedDocument, cachedKeys, documentKey, peekDocument, storeDocument } from './document-cache.js';
import type { DocumentJob, WorkerMessage } from './document-worker.js';
import { documentDepthProblem, documentSizeProblem } from './limits.js';
import { type CompiledDocument, compileDocument, compileDocumentInSlices, yieldToEventLoop } from './operations.js';

/** The synchronous path (start-up of tests, inline documents): blocks while a changed document is built. */
export function loadDocumentSync(source: unknown, resolve: (p: string) => string, what: string): CompiledDocument {
  // File documents are keyed by their text (read, not parsed); inline ones by their JSON.
  const text = typeof source === 'string' ? readText(source, resolve, what) : JSON.stringify(source);
  return cachedDocument(documentKey(text), () => {
    const tooLarge = documentSizeProblem(text);
    if (tooLarge) throw new Error(`${what} ${tooLarge}`);
    const root = typeof source === 'string' ? parseText(text, source, what) : loadDocument(source, resolve, what);
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

export async function prepareFileDocument(file: string, source: string, what: string): Promise<CompiledDocument> {
  const script = workerScript();
  if (!script) return loadDocumentSync(source, () => file, what);
  const job: DocumentJob = { file, source, what, cachedKeys: cachedKeys() };
  const worker = new Worker(script, { workerData: job });
  worker.unref();
  try {
    const prepared = await receive(worker);
    if ('cached' in prepared) {
      const hit = peekDocument(prepared.cached);
      // Evicted meanwhile (another reload): build it the synchronous way.
      return hit ?? loadDocumentSync(source, () => file, what);
    }
    const built = await compileDocumentInSlices(openApiDocument(prepared.root, prepared.dialect), {
      checked: true,
      declaresIds: prepared.declaresIds,
    });
    return storeDocument(prepared.key, built);
  } finally {
    void worker.terminate();
  }
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
