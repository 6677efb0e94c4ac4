/**
 * Messages between the primary of a gateway node and its workers (worker_threads). Defined once here
 * and used by both sides. Limit operations travel in batches: one message per event-loop turn carries
 * every hit the worker's requests asked for in that turn, and one message carries the answers back.
 */
import type { JsonPiece } from '@gatehouse/core';
import type { CellAdmission, HitRequest, HitResult, SlotAcquisition, SlotLimits } from '@gatehouse/policies';
import type { CredentialPatch } from '../credentials.js';
import type { ApplyResult } from '../gateway.js';
import type { RequestRecord } from '../handler.js';
import type { TlsOptions } from '../server.js';

export type LimitOp =
  | { id: number; op: 'hit' | 'peek'; request: HitRequest }
  | { id: number; op: 'add'; key: string; windowMs: number; delta: number; windowStartMs: number | undefined }
  | { id: number; op: 'cell'; key: string; intervalMs: number; burst: number }
  | { id: number; op: 'acquire'; key: string; limits: SlotLimits }
  /** Gives up a waiting acquire (the client went away); answered like the acquire it names. */
  | { id: 0; op: 'abort'; ref: number }
  | { id: 0; op: 'release'; key: string; limits: SlotLimits };

/** `'table'` (to an acquire): the key is in the shared table now; the worker takes or waits for its slot there. */
export type LimitAnswer = HitResult | number | CellAdmission | SlotAcquisition | 'table' | { error: string };

export type ToPrimary =
  | { t: 'ops'; ops: LimitOp[] }
  | { t: 'records'; records: RequestRecord[] }
  | { t: 'started'; port: number; tlsPort: number | undefined; version: string | undefined }
  | { t: 'start-failed'; message: string; problems: ApplyResult['problems'] }
  | { t: 'prepared'; seq: number; result: ApplyResult }
  | { t: 'metrics'; seq: number; metrics: unknown[] }
  | { t: 'status'; seq: number; inFlight: number; apis: unknown };

export type ToWorker =
  | { t: 'answers'; answers: Array<[id: number, answer: LimitAnswer]> }
  /** The document as JSON pieces (a large one is cut and rebuilt in slices: one structured clone of it would block both threads). */
  | { t: 'prepare'; seq: number; pieces: JsonPiece[] }
  /** A credential delta, prepared and committed like a document (only the applications it names travel). */
  | { t: 'prepare-credentials'; seq: number; patch: CredentialPatch }
  | { t: 'commit'; seq: number }
  | { t: 'discard'; seq: number }
  | { t: 'metrics'; seq: number }
  | { t: 'status'; seq: number }
  | { t: 'drain' };

/** What a worker is started with (structured-clone safe: no functions). */
export interface WorkerSettings {
  index: number;
  host: string;
  port: number;
  tls?: TlsOptions & { port: number };
  redisUrl?: string;
  accessLog: 'stdout' | 'off';
  /** The primary's log level (a worker cannot be handed the primary's logger). */
  logLevel: string;
  /** Send each request's record to the primary (hybrid analytics and heartbeat counts). */
  forwardRecords: boolean;
  baseDir: string;
  /** The document the node serves (a replacement worker starts on it); none in a hybrid node not yet configured. */
  document?: unknown;
  /** The node's shared counter table (SharedTable's buffer); absent: every limit goes to the primary by message. */
  sharedCounters?: SharedArrayBuffer;
  /** Per-worker holdings of the table's concurrency slots (SharedSlots' buffer), with `sharedCounters`. */
  sharedSlots?: SharedArrayBuffer;
}
