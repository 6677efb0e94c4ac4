/**
 * Worker thread that does the parts of loading an OpenAPI file that walk the whole document (read,
 * hash, parse, 3.0 normalization, the load-time schema check), so the gateway's event loop does not.
 * The prepared document goes back in pieces of about PIECE_BYTES, one at a time (each acknowledged):
 * the main thread deserializes a message in one go, and one 4 MB message would block it for as long
 * as a parse. Errors carry the same messages the synchronous path throws.
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { assembleJson, type JsonPiece } from '@gatehouse/core';
import { createAjv, type SchemaDialect } from '../json-schema/ajv.js';
import { parseText, readText } from '../json-schema/load-document.js';
import { checkDocument } from './check-document.js';
import { declaresSchemaIds, type Json, normalizeDocument, openApiDocument } from './document.js';
import { documentDepthProblem, documentSizeProblem } from './limits.js';

export interface DocumentJob {
  /** A file to read, or an inline document in pieces (its key computed by the main thread). */
  from: { file: string } | { pieces: JsonPiece[]; key: string };
  source: string;
  what: string;
  /** Keys of documents the main thread already holds: those are not sent again. */
  cachedKeys: string[];
  /** Run openapi-validation's load-time check (mock mode does not need it). */
  check: boolean;
}

export type WorkerMessage =
  | { type: 'cached'; key: string }
  | { type: 'head'; key: string; dialect: SchemaDialect; declaresIds: boolean; root: Json }
  | { type: 'piece'; at: string[]; entries: Array<[string, unknown]> }
  | { type: 'done' }
  | { type: 'error'; key?: string; message: string };

const PIECE_BYTES = 64 * 1024;
const port = parentPort!;
const job = workerData as DocumentJob;

const acknowledged = () => new Promise<void>((resolve) => port.once('message', () => resolve()));

/** The maps sent in pieces: `paths` and every `components` map (schemas, parameters, responses...). */
function sections(root: Json): string[][] {
  const out = [['paths']];
  const components = root.components;
  if (typeof components === 'object' && components !== null && !Array.isArray(components)) {
    for (const [name, value] of Object.entries(components))
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) out.push(['components', name]);
  }
  return out;
}

async function run(): Promise<void> {
  const from = job.from;
  const text = 'file' in from ? readText(job.source, () => from.file, job.what) : undefined;
  const key = 'key' in from ? from.key : createHash('sha256').update(text!).digest('hex');
  if (job.cachedKeys.includes(key)) {
    port.postMessage({ type: 'cached', key } satisfies WorkerMessage);
    return;
  }
  let head: WorkerMessage & { type: 'head' };
  let parts: Array<{ at: string[]; map: Json }>;
  try {
    const tooLarge = text === undefined ? undefined : documentSizeProblem(text);
    if (tooLarge) throw new Error(`${job.what} ${tooLarge}`);
    const parsed =
      text === undefined
        ? assembleJson((from as { pieces: JsonPiece[] }).pieces)
        : parseText(text, job.source, job.what);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error(`${job.what} file "${job.source}" must contain an object`);
    const tooDeep = documentDepthProblem(parsed);
    if (tooDeep) throw new Error(`${job.what} ${tooDeep}`);
    const { root, dialect } = normalizeDocument(parsed as Json);
    if (job.check) checkDocument(openApiDocument(root, dialect), createAjv(dialect));
    const declaresIds = declaresSchemaIds(root);
    // The head is the document with the sectioned maps emptied; the pieces fill them in order.
    parts = sections(root).map((at) => ({
      at,
      map: (at.length === 1 ? root : (root.components as Json))[at.at(-1)!] as Json,
    }));
    const shell: Json = { ...root };
    if (root.components !== undefined) shell.components = { ...(root.components as Json) };
    for (const { at } of parts) (at.length === 1 ? shell : (shell.components as Json))[at.at(-1)!] = {};
    head = { type: 'head', key, dialect, declaresIds, root: shell };
  } catch (error) {
    port.postMessage({ type: 'error', key, message: (error as Error).message } satisfies WorkerMessage);
    return;
  }
  port.postMessage(head);
  await acknowledged();
  for (const { at, map } of parts) {
    let entries: Array<[string, unknown]> = [];
    let bytes = 0;
    for (const entry of Object.entries(map)) {
      entries.push(entry);
      bytes += JSON.stringify(entry[1])?.length ?? 4;
      if (bytes < PIECE_BYTES) continue;
      port.postMessage({ type: 'piece', at, entries } satisfies WorkerMessage);
      await acknowledged();
      entries = [];
      bytes = 0;
    }
    if (entries.length > 0) {
      port.postMessage({ type: 'piece', at, entries } satisfies WorkerMessage);
      await acknowledged();
    }
  }
  port.postMessage({ type: 'done' } satisfies WorkerMessage);
}

run().catch((error: unknown) => {
  port.postMessage({ type: 'error', message: (error as Error).message } satisfies WorkerMessage);
});
