/**
 * What a served document (or any JSON part of one) is made into once per version: its canonical
 * JSON bytes (canonicalJson of @gatehouse/core, the one definition both planes sign and verify),
 * their digest (digestOf, what protocol 3 signs) and one gzip member of them. Pure and synchronous:
 * the document-build worker runs it off the event loop (document-build-worker.ts); the in-process
 * fallback (no built worker script) runs the same function.
 */
import { gzipSync } from 'node:zlib';
import type { Api, ConfigProblem } from '@gatehouse/config';
import { digestOf } from '@gatehouse/config';
import { canonicalJson } from '@gatehouse/core';
import { checkConfigDocument } from '@gatehouse/policies/catalog';
import { maskSecrets } from '../secrets/fields.js';
import { assembleApplications, assembleDocument, type KeyRow, type SubscriptionRow } from './assemble.js';

/** A JSON value as served: canonical bytes, their digest, and the bytes as one gzip member. */
export interface JsonPartBytes {
  bytes: Uint8Array;
  digest: string;
  gzip: Uint8Array;
}

/** The rows of one environment's document, as the main thread read them. */
export interface DocumentRows {
  environment: string;
  /** Compiled APIs by API pk (secrets opened: the main thread holds the key). */
  apis: Array<[string, Api]>;
  subscriptions: SubscriptionRow[];
  keys: KeyRow[];
  /** compiledAt, epoch ms. */
  now: number;
}

export interface ServedDocumentBytes extends JsonPartBytes {
  configVersion: string;
  definitionVersion: string;
}

/**
 * Bytes in an ArrayBuffer of their own, so they can be transferred: a Buffer's memory may be a pool
 * slice or marked untransferable by Node (zlib's output is), so it is copied once, in the worker.
 */
function owned(bytes: Uint8Array): Uint8Array {
  return !Buffer.isBuffer(bytes) && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : new Uint8Array(bytes);
}

export function jsonPartBytes(value: unknown): JsonPartBytes {
  const bytes = owned(new TextEncoder().encode(canonicalJson(value)));
  return { bytes, digest: digestOf(bytes), gzip: owned(gzipSync(bytes)) };
}

function assemble(rows: DocumentRows) {
  const apis = new Map(rows.apis);
  return assembleDocument(
    rows.environment,
    apis,
    assembleApplications(apis, rows.subscriptions, rows.keys),
    new Date(rows.now),
  );
}

export function servedDocumentBytes(rows: DocumentRows): ServedDocumentBytes {
  const { document, configVersion, definitionVersion } = assemble(rows);
  return { ...jsonPartBytes(document), configVersion, definitionVersion };
}

/** The document checked as gateways check it (compileEnvironmentConfig's check) and, when valid and asked, its masked JSON. */
export interface CheckedDocument {
  problems: ConfigProblem[];
  configVersion: string;
  definitionVersion: string;
  /** JSON.stringify of the document with every secret masked (the config export route). */
  masked?: Uint8Array;
}

export function checkedDocument(rows: DocumentRows, exportMasked: boolean): CheckedDocument {
  const { document, configVersion, definitionVersion } = assemble(rows);
  // Validation fills defaults in its own copy: the document stays as compiled.
  const checked = checkConfigDocument(document);
  if (!checked.ok) return { problems: checked.problems, configVersion, definitionVersion };
  const out: CheckedDocument = { problems: [], configVersion, definitionVersion };
  // The export shows the document as gateways read it: schema defaults filled (the response
  // serialiser filled them when the route returned an object; it now sends these bytes as they are).
  if (exportMasked) out.masked = owned(new TextEncoder().encode(JSON.stringify(maskSecrets(checked.value))));
  return out;
}
