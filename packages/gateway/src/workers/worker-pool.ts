/**
 * The workers of one gateway node, seen from the primary: started on the node's document, given each
 * new document in two steps (every worker prepares, then all commit, or all discard), asked for their
 * metrics, replaced when one dies (the others keep serving), drained together.
 */
import { Worker } from 'node:worker_threads';
import { jsonPiecesInSlices, type Logger } from '@gatehouse/core';
import { ConfigError } from '@gatehouse/policies';
import { patchDocument } from '../credential-patch.js';
import type { CredentialPatch } from '../credentials.js';
import type { ApplyResult } from '../gateway.js';
import type { RequestRecord } from '../handler.js';
import { LimitsHost, type WorkerLimits } from './limits-host.js';
import type { ToPrimary, ToWorker, WorkerSettings } from './protocol.js';

export interface WorkerPoolOptions {
  count: number;
  settings: Omit<WorkerSettings, 'index' | 'document' | 'sharedCounters' | 'sharedSlots'>;
  /** Counters and spike-arrest cells in shared memory (default); false: every hit is a message to the primary. */
  sharedCounters?: boolean;
  /** Slots of the shared table (default 32,768). */
  sharedCounterSlots?: number;
  logger: Logger;
  onRecords?: (records: RequestRecord[]) => void;
}

interface Member {
  index: number;
  worker: Worker;
  limits: WorkerLimits;
  startedAt: number;
  started: boolean;
  /** Answers awaited from this worker, by sequence number. */
  waiting: Map<number, (message: ToPrimary | undefined) => void>;
}

/** A worker that dies within this long after starting is restarted after a growing pause. */
const CRASH_LOOP_MS = 5_000;
const MAX_RESTART_DELAY_MS = 10_000;

export class WorkerPool {
  readonly host: LimitsHost;
  /** Workers replaced after dying (a metric and a test handle). */
  restarts = 0;
  private readonly members: Array<Member | undefined>;
  private document: unknown;
  /** Credential deltas committed since `document`: folded into it only when a worker is started. */
  private patches: CredentialPatch[] = [];
  private version: string | undefined;
  private seq = 0;
  private closing = false;
  private restartDelayMs = 0;
  /** Applies and replacements take turns, so a replacement always starts on a committed document. */
  private turn: Promise<unknown> = Promise.resolve();
  private listenPorts: { port: number; tlsPort: number | undefined } | undefined;

  constructor(private readonly options: WorkerPoolOptions) {
    this.members = new Array(options.count).fill(undefined);
    this.host = new LimitsHost({
      sharedCounters: options.sharedCounters ?? true,
      owners: options.count,
      ...(options.sharedCounterSlots ? { capacity: options.sharedCounterSlots } : {}),
    });
    this.host.onFreedLocks = (count) =>
      options.logger.warn({ locks: count }, 'a gateway worker exited holding shared counter locks; freed them');
    this.host.onFreedSlots = (count) =>
      options.logger.warn(
        { slots: count },
        'a gateway worker exited with requests in flight; gave back their concurrency slots',
      );
  }

  get size(): number {
    return this.members.filter((m) => m?.started).length;
  }

  get currentVersion(): string | undefined {
    return this.version;
  }

  /** Starts every worker on `document` (none: a hybrid node waiting for its first config). */
  async start(document?: unknown): Promise<{ port: number; tlsPort: number | undefined }> {
    this.document = document;
    // All workers bind the same port with SO_REUSEPORT; with port 0 the first one picks it for the others.
    const fixed = this.options.settings.port !== 0 && (this.options.settings.tls?.port ?? 1) !== 0;
    const first = fixed ? undefined : await this.spawn(0).catch((error: unknown) => error as Error);
    if (first instanceof Error) {
      await this.close();
      throw first;
    }
    if (first) this.listenPorts = first;
    const rest = await Promise.allSettled(this.members.map((_, i) => (i === 0 && first ? first : this.spawn(i))));
    const failed = rest.find((r) => r.status === 'rejected');
    if (failed) {
      await this.close();
      throw (failed as PromiseRejectedResult).reason;
    }
    const started = (rest[0] as PromiseFulfilledResult<NonNullable<typeof first>>).value;
    this.listenPorts = started;
    this.version = started.version;
    return started;
  }

  /** Prepares `document` on every worker and commits it on all of them only if all prepared it. */
  apply(document: unknown): Promise<ApplyResult> {
    return this.inTurn(async () => {
      const { pieces } = await jsonPiecesInSlices(document);
      const result = await this.applyNow((seq) => ({ t: 'prepare', seq, pieces }));
      if (result.ok) {
        this.document = document;
        this.patches = [];
        this.version = result.version;
      }
      return result;
    });
  }

  /** A credential delta on every worker (each patches the config it serves), on all or on none. */
  applyCredentials(patch: CredentialPatch): Promise<ApplyResult> {
    return this.inTurn(async () => {
      const result = await this.applyNow((seq) => ({ t: 'prepare-credentials', seq, patch }));
      if (result.ok) this.patches.push(patch);
      return result;
    });
  }

  private inTurn(step: () => Promise<ApplyResult>): Promise<ApplyResult> {
    const next = this.turn.then(step);
    this.turn = next.catch(() => undefined);
    return next;
  }

  /** Metrics of every worker (prom-client JSON), for the node's one /metrics. */
  async workerMetrics(): Promise<unknown[][]> {
    const answers = await Promise.all(this.live().map((m) => this.ask(m, (seq) => ({ t: 'metrics', seq }))));
    return answers.flatMap((a) => (a?.t === 'metrics' ? [a.metrics] : []));
  }

  async inFlight(): Promise<number> {
    const answers = await Promise.all(this.live().map((m) => this.ask(m, (seq) => ({ t: 'status', seq }))));
    return answers.reduce((sum, a) => sum + (a?.t === 'status' ? a.inFlight : 0), 0);
  }

  /** Stops worker `index` abruptly, as a crash would (tests; the pool replaces it). */
  async kill(index: number): Promise<void> {
    await this.members[index]?.worker.terminate();
  }

  /** Drains every worker (each finishes its in-flight requests) and waits until all have exited. */
  async close(): Promise<void> {
    this.closing = true;
    await this.turn;
    const exits = this.members.flatMap((m) =>
      m ? [new Promise<void>((resolve) => m.worker.once('exit', () => resolve()))] : [],
    );
    for (const m of this.members) m?.worker.postMessage({ t: 'drain' } satisfies ToWorker);
    await Promise.all(exits);
    await this.host.close();
  }

  private live(): Member[] {
    return this.members.filter((m): m is Member => m?.started === true);
  }

  private async applyNow(prepare: (seq: number) => ToWorker): Promise<ApplyResult> {
    const members = this.live();
    if (members.length === 0) return { ok: false, problems: [{ path: '', message: 'no gateway worker is running' }] };
    const seqs = new Map<Member, number>();
    const answers = await Promise.all(
      members.map((m) =>
        this.ask(m, (seq) => {
          seqs.set(m, seq);
          return prepare(seq);
        }),
      ),
    );
    const results = answers.map((a): ApplyResult | undefined => (a?.t === 'prepared' ? a.result : undefined));
    // A worker that died meanwhile is left out: its replacement starts on whatever is committed here.
    const refused = results.find((r) => r && !r.ok);
    const verb = refused ? 'discard' : 'commit';
    for (const m of members) m.worker.postMessage({ t: verb, seq: seqs.get(m) as number } satisfies ToWorker);
    if (refused) return refused;
    const accepted = results.find((r) => r?.ok);
    if (!accepted) return { ok: false, problems: [{ path: '', message: 'every gateway worker went away' }] };
    return accepted;
  }

  /** The document with the committed credential deltas in it (a new worker must not serve revoked keys). */
  private foldPatches(): unknown {
    if (this.patches.length > 0) {
      this.document = patchDocument(this.document, this.patches);
      this.patches = [];
    }
    return this.document;
  }

  private ask(member: Member, message: (seq: number) => ToWorker): Promise<ToPrimary | undefined> {
    const seq = ++this.seq;
    return new Promise((resolve) => {
      member.waiting.set(seq, resolve);
      member.worker.postMessage(message(seq));
    });
  }

  private spawn(index: number): Promise<{ port: number; tlsPort: number | undefined; version: string | undefined }> {
    const settings: WorkerSettings = {
      ...this.options.settings,
      ...(this.listenPorts
        ? {
            port: this.listenPorts.port,
            ...(this.options.settings.tls
              ? { tls: { ...this.options.settings.tls, port: this.listenPorts.tlsPort ?? 0 } }
              : {}),
          }
        : {}),
      index,
      ...(this.document !== undefined ? { document: this.foldPatches() } : {}),
      ...(this.host.table ? { sharedCounters: this.host.table.buffer } : {}),
      ...(this.host.slots ? { sharedSlots: this.host.slots.buffer } : {}),
    };
    const worker = new Worker(workerEntry(), { workerData: settings, env: process.env });
    const member: Member = {
      index,
      worker,
      limits: this.host.connect((message) => worker.postMessage(message), index + 1),
      startedAt: Date.now(),
      started: false,
      waiting: new Map(),
    };
    this.members[index] = member;
    return new Promise((resolve, reject) => {
      worker.on('message', (message: ToPrimary) => {
        switch (message.t) {
          case 'ops':
            return member.limits.handle(message.ops);
          case 'records':
            return this.options.onRecords?.(message.records);
          case 'started':
            member.started = true;
            return resolve(message);
          case 'start-failed':
            return reject(message.problems.length > 0 ? new ConfigError(message.problems) : new Error(message.message));
          default: {
            const answer = member.waiting.get(message.seq);
            member.waiting.delete(message.seq);
            answer?.(message);
          }
        }
      });
      worker.on('error', (error) => this.options.logger.error({ err: error, worker: index }, 'gateway worker failed'));
      worker.on('exit', (code) => {
        member.limits.release();
        for (const answer of member.waiting.values()) answer(undefined);
        member.waiting.clear();
        reject(new Error(`gateway worker ${index} exited (code ${code}) before it started`));
        if (this.members[index] !== member) return;
        this.members[index] = undefined;
        if (!this.closing && member.started) this.replace(index, member.startedAt, code);
      });
    });
  }

  private replace(index: number, startedAt: number, code: number): void {
    this.restarts++;
    const crashLoop = Date.now() - startedAt < CRASH_LOOP_MS;
    this.restartDelayMs = crashLoop ? Math.min(MAX_RESTART_DELAY_MS, Math.max(100, this.restartDelayMs * 2)) : 0;
    this.options.logger.error(
      { worker: index, code, restartInMs: this.restartDelayMs },
      'gateway worker exited; starting a replacement (the other workers keep serving)',
    );
    const next = this.turn.then(async () => {
      if (this.restartDelayMs > 0) await new Promise((r) => setTimeout(r, this.restartDelayMs));
      if (this.closing) return;
      try {
        await this.spawn(index);
      } catch (error) {
        this.options.logger.error({ err: error, worker: index }, 'replacement gateway worker did not start');
        if (!this.closing) this.replace(index, Date.now(), -1);
      }
    });
    this.turn = next;
  }
}

/** The built worker entry (tests import the TypeScript sources; a thread runs the compiled file). */
function workerEntry(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('../../dist/workers/worker-main.js', import.meta.url)
    : new URL('./worker-main.js', import.meta.url);
}
