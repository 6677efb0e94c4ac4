/**
 * Building a served document without blocking the event loop (issue #16 §3, decision 0022). At
 * 100,000 keys the in-loop build (compile, canonical JSON, digest, gzip) held the control plane's
 * one thread for seconds, and every management call made meanwhile waited. Now:
 *
 * - the rows are read in pages (compile.ts, readApplicationRows), each page a few ms of parsing;
 * - each page is posted to one long-lived worker thread as it arrives (a structured clone of a few
 *   thousand small rows), which assembles the document with the same code (assemble.ts), makes its
 *   canonical bytes with canonicalJson of @gatehouse/core, its digest and its gzip, and transfers
 *   the buffers back (no copy).
 *
 * The rows are read by the main thread on purpose: it holds the secret key that opens the APIs'
 * secrets and the database handle (PGlite allows one per data directory, so a worker could not open
 * its own), and it stays one path for PostgreSQL and PGlite. Without the built worker script (unit
 * tests from source before a build) the same functions run in-process.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Database } from '../db/connect.js';
import type { KeyRow, SubscriptionRow } from './assemble.js';
import {
  type CompileOptions,
  environmentSlug,
  loadDeployedApis,
  type RowSink,
  readApplicationRows,
} from './compile.js';
import {
  type CheckedDocument,
  checkedDocument,
  type DocumentRows,
  type JsonPartBytes,
  jsonPartBytes,
  type ServedDocumentBytes,
  servedDocumentBytes,
} from './document-bytes.js';

export type BuildRequest =
  | { t: 'start'; id: number; head: Omit<DocumentRows, 'subscriptions' | 'keys'>; purpose: Purpose }
  | { t: 'subscriptions'; id: number; rows: SubscriptionRow[] }
  | { t: 'keys'; id: number; rows: KeyRow[] }
  | { t: 'end'; id: number }
  | { t: 'abort'; id: number }
  | { t: 'part'; id: number; value: unknown };

export type BuildReply =
  | {
      t: 'built';
      id: number;
      bytes: Uint8Array;
      digest: string;
      gzip: Uint8Array;
      configVersion?: string;
      definitionVersion?: string;
    }
  | ({ t: 'checked'; id: number } & CheckedDocument)
  | { t: 'failed'; id: number; message: string };

/** A JSON part as served, in Buffers over the transferred memory. */
export interface BuiltPart {
  /** The canonical JSON bytes (canonicalJson of @gatehouse/core). */
  bytes: Buffer;
  /** digestOf(bytes). */
  digest: string;
  /** The bytes as one gzip member. */
  gzip: Buffer;
}

export interface BuiltDocument extends BuiltPart {
  configVersion: string;
  definitionVersion: string;
}

type Built = Exclude<BuildReply, { t: 'failed' }>;

/** Rows per message: cloning a message of this many rows takes ~1-2 ms of the event loop. */
const ROWS_PER_MESSAGE = 1000;

/** Posts a page in slices of ROWS_PER_MESSAGE, letting the event loop run between two. */
async function postInSlices<T>(rows: T[], post: (slice: T[]) => void): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_MESSAGE) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    post(rows.slice(i, i + ROWS_PER_MESSAGE));
  }
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function workerScript(): URL | undefined {
  const beside = new URL('./document-build-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  // Running from src/ (vitest): the build's worker, when there is one.
  const built = new URL('../../dist/compiler/document-build-worker.js', import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : undefined;
}

/** The one worker thread of this process, started on first use and again after it died. */
class BuildThread {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, { resolve(built: Built): void; reject(error: Error): void }>();
  private nextId = 1;

  constructor(private readonly script: URL) {}

  /** A new build's id and its result; the result is awaited by the caller after its last post. */
  open(): { id: number; result: Promise<Built> } {
    const id = this.nextId++;
    const result = new Promise<Built>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    // Rejected while the caller still posts pages (the worker died): handled when awaited.
    result.catch(() => undefined);
    this.start().ref();
    return { id, result };
  }

  post(message: BuildRequest): void {
    this.start().postMessage(message);
  }

  /** Gives up a build whose result will not be awaited (its rows failed to read, or could not be posted). */
  cancel(id: number): void {
    this.settled(id);
  }

  close(): Promise<number> | undefined {
    const worker = this.worker;
    this.worker = undefined;
    return worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script);
    worker.unref();
    worker.on('message', (reply: BuildReply) => {
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.settled(reply.id);
      if (reply.t !== 'failed') waiter.resolve(reply);
      else waiter.reject(new Error(`document build failed: ${reply.message}`));
    });
    const failAll = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, waiter] of [...this.waiting]) {
        this.settled(id);
        waiter.reject(error);
      }
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`the document-build worker stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private settled(id: number): void {
    this.waiting.delete(id);
    // An idle worker does not hold the process open.
    if (this.waiting.size === 0) this.worker?.unref();
  }
}

let thread: BuildThread | undefined | null;

function buildThread(): BuildThread | undefined {
  if (thread === undefined) {
    const script = workerScript();
    thread = script ? new BuildThread(script) : null;
  }
  return thread ?? undefined;
}

/** Whether builds run in the worker thread (false: no built worker script, they run in-process). */
export function buildsOffTheLoop(): boolean {
  return buildThread() !== undefined;
}

/** Stops the worker thread (tests; a later build starts it again). */
export async function stopDocumentBuilds(): Promise<void> {
  await thread?.close();
}

/** What a build makes of the rows: the served bytes, the check, or the check and the masked export. */
export type Purpose = 'serve' | 'check' | 'export';
type Outcome<P extends Purpose> = P extends 'serve' ? ServedDocumentBytes : CheckedDocument;

/** One build in the worker: rows fed in slices, then the result (or in-process without the worker). */
export interface RowsBuild<R> {
  add: RowSink;
  finish(): Promise<R>;
  abort(): void;
}

export function startBuild<P extends Purpose>(
  head: Omit<DocumentRows, 'subscriptions' | 'keys'>,
  purpose: P,
): RowsBuild<Outcome<P>> {
  const worker = buildThread();
  if (!worker) {
    const rows: DocumentRows = { ...head, subscriptions: [], keys: [] };
    return {
      add: {
        subscriptions: (page) => {
          rows.subscriptions.push(...page);
        },
        keys: (page) => {
          rows.keys.push(...page);
        },
      },
      finish: async () =>
        (purpose === 'serve' ? servedDocumentBytes(rows) : checkedDocument(rows, purpose === 'export')) as Outcome<P>,
      abort: () => undefined,
    };
  }
  const { id, result } = worker.open();
  worker.post({ t: 'start', id, head, purpose });
  return {
    add: {
      subscriptions: (rows) => postInSlices(rows, (slice) => worker.post({ t: 'subscriptions', id, rows: slice })),
      keys: (rows) => postInSlices(rows, (slice) => worker.post({ t: 'keys', id, rows: slice })),
    },
    finish: async () => {
      worker.post({ t: 'end', id });
      return (await result) as unknown as Outcome<P>;
    },
    abort: () => {
      worker.cancel(id);
      worker.post({ t: 'abort', id });
    },
  };
}

/**
 * Reads an environment's rows (APIs at once, subscriptions and keys page by page) into a build,
 * the deploy-time `candidate` standing in for its API's latest revision.
 */
export async function buildFromDatabase<P extends Purpose>(
  db: Database,
  envId: string,
  options: CompileOptions,
  purpose: P,
): Promise<Outcome<P>> {
  const now = options.now ?? new Date();
  const environment = await environmentSlug(db, envId);
  const apis = await loadDeployedApis(db, envId, options);
  const build = startBuild({ environment, apis: [...apis], now: now.getTime() }, purpose);
  try {
    // A deploy's check reads no credentials (`definitionOnly`: see CompileOptions).
    if (!options.definitionOnly) await readApplicationRows(db, envId, apis, { now }, build.add);
  } catch (error) {
    build.abort();
    throw error;
  }
  return build.finish();
}

/**
 * The served document of an environment (shard `shardTags`), as canonical bytes, digest and gzip,
 * built off the event loop. The rows are read here, page by page, and handed to the worker as they come.
 */
export async function buildServedDocument(
  db: Database,
  envId: string,
  options: Pick<CompileOptions, 'now' | 'shardTags'> = {},
): Promise<BuiltDocument> {
  return asDocument(await buildFromDatabase(db, envId, options, 'serve'));
}

/** The same from rows already read (tests, benchmarks; a caller holding the rows). */
export async function buildDocumentFromRows(rows: DocumentRows): Promise<BuiltDocument> {
  const build = startBuild({ environment: rows.environment, apis: rows.apis, now: rows.now }, 'serve');
  if (rows.subscriptions.length > 0) await build.add.subscriptions(rows.subscriptions);
  if (rows.keys.length > 0) await build.add.keys(rows.keys);
  return asDocument(await build.finish());
}

/**
 * Any JSON value as served (a document's part: its definitions, for instance): canonical bytes,
 * digest and gzip, made in the worker thread. The value is structured-cloned to it on this thread,
 * a cost proportional to its size: meant for parts, not for a 100,000-key document.
 */
export async function buildJsonPart(value: unknown): Promise<BuiltPart> {
  const worker = buildThread();
  if (!worker) return asPart(jsonPartBytes(value));
  const { id, result } = worker.open();
  try {
    worker.post({ t: 'part', id, value });
  } catch (error) {
    // Not cloneable (a function, a symbol): nothing was sent.
    worker.cancel(id);
    throw error;
  }
  return asPart((await result) as JsonPartBytes);
}

function asPart(built: { bytes: Uint8Array; digest: string; gzip: Uint8Array }): BuiltPart {
  return { bytes: asBuffer(built.bytes), digest: built.digest, gzip: asBuffer(built.gzip) };
}

function asDocument(built: Partial<ServedDocumentBytes> & Pick<ServedDocumentBytes, 'bytes' | 'digest' | 'gzip'>) {
  return { ...asPart(built), configVersion: built.configVersion!, definitionVersion: built.definitionVersion! };
}
