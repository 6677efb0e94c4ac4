/**
 * Entry of one worker thread of a gateway node: a gateway listening on the node's port with
 * SO_REUSEPORT (the kernel spreads connections over the workers), its counters and node limits held
 * by the primary, configs prepared and committed when the primary says so, drained on request.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assembleJsonInSlices, createLogger } from '@gatehouse/core';
import {
  ConfigError,
  createStores,
  MemoryResponseCacheStore,
  type NodeLimits,
  SharedCounterStore,
  SharedNodeLimits,
  SharedSlots,
  SharedTable,
  type Stores,
} from '@gatehouse/policies';
import { type ApplyResult, type PreparedConfig, type RunningGateway, startGateway } from '../gateway.js';
import type { RequestRecord } from '../handler.js';
import { PrimaryChannel, WorkerCounterStore, WorkerNodeLimits } from './primary-channel.js';
import type { ToPrimary, ToWorker, WorkerSettings } from './protocol.js';

const RECORD_BATCH = 256;
const RECORD_FLUSH_MS = 50;

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('worker-main runs in a worker thread');
  const settings = workerData as WorkerSettings;
  const post = (message: ToPrimary) => port.postMessage(message);
  const logger = createLogger({ name: 'gateway', level: settings.logLevel }).child({ worker: settings.index });
  const channel = new PrimaryChannel(port);
  const records = settings.forwardRecords ? new RecordForwarder(post) : undefined;
  const prepared = new Map<number, PreparedConfig>();
  let gateway: RunningGateway | undefined;

  port.on('message', (message: ToWorker) => {
    switch (message.t) {
      case 'answers':
        return channel.answer(message.answers);
      case 'prepare': {
        const ready = gateway;
        if (!ready) return post({ t: 'prepared', seq: message.seq, result: notStarted() });
        // The slow parts off this worker's event loop; the primary sends commit only after every answer.
        void (async () => {
          const document = await assembleJsonInSlices(message.pieces);
          const result = await ready.prepareAsync(document);
          if (result.ok) prepared.set(message.seq, result);
          post({
            t: 'prepared',
            seq: message.seq,
            result: { ok: result.ok, problems: result.problems, ...(result.ok ? { version: result.version } : {}) },
          });
        })().catch((error: unknown) =>
          post({
            t: 'prepared',
            seq: message.seq,
            result: { ok: false, problems: [{ path: '', message: (error as Error).message }] },
          }),
        );
        return;
      }
      case 'prepare-credentials': {
        if (!gateway) return post({ t: 'prepared', seq: message.seq, result: notStarted() });
        const result = gateway.prepareCredentials(message.patch);
        if (result.ok) prepared.set(message.seq, result);
        return post({
          t: 'prepared',
          seq: message.seq,
          result: { ok: result.ok, problems: result.problems, ...(result.ok ? { version: result.version } : {}) },
        });
      }
      case 'commit': {
        const next = prepared.get(message.seq);
        prepared.delete(message.seq);
        if (next?.ok) next.commit();
        return;
      }
      case 'discard': {
        const next = prepared.get(message.seq);
        prepared.delete(message.seq);
        if (next?.ok) next.discard();
        return;
      }
      case 'metrics':
        void gateway?.metrics.registry
          .getMetricsAsJSON()
          .then((metrics) => post({ t: 'metrics', seq: message.seq, metrics }));
        return;
      case 'status': {
        const current = gateway?.current();
        return post({
          t: 'status',
          seq: message.seq,
          inFlight: gateway?.inFlight() ?? 0,
          apis: current?.apis.map((a) => ({ id: a.id, upstream: a.upstream.state() })),
        });
      }
      case 'drain':
        void (async () => {
          await gateway?.close();
          records?.flush();
          channel.close();
          // The records above are already in the port; anything still holding the thread open goes with it.
          setImmediate(() => process.exit(0));
        })();
        return;
    }
  });

  // The node's shared table: hits are Atomics operations here, the primary only sees what does not fit.
  const table = settings.sharedCounters
    ? new SharedTable({ buffer: settings.sharedCounters, owner: settings.index + 1 })
    : undefined;
  const stores = workerStores(settings, logger, channel, table);
  const viaPrimary = new WorkerNodeLimits(channel);
  const slots =
    table && settings.sharedSlots
      ? new SharedSlots(table, { buffer: settings.sharedSlots, owner: settings.index + 1 })
      : undefined;
  const nodeLimits: NodeLimits = table ? new SharedNodeLimits(table, viaPrimary, Date.now, slots) : viaPrimary;
  try {
    gateway = await startGateway({
      host: settings.host,
      port: settings.port,
      ...(settings.tls ? { tls: settings.tls } : {}),
      ...(settings.document !== undefined ? { document: settings.document } : {}),
      ...(settings.redisUrl ? { redisUrl: settings.redisUrl } : {}),
      baseDir: settings.baseDir,
      allowEmpty: true,
      reusePort: true,
      admin: false,
      processMetrics: false,
      stores,
      nodeLimits,
      logger,
      accessLog: settings.accessLog,
      ...(records ? { onRecord: records.add } : {}),
    });
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : [];
    post({ t: 'start-failed', message: (error as Error).message, problems });
    port.close();
    return;
  }
  post({
    t: 'started',
    port: gateway.port,
    tlsPort: gateway.httpsUrl ? Number(new URL(gateway.httpsUrl).port) : undefined,
    version: gateway.current()?.version,
  });
}

/** With Redis, counters are Redis's (shared beyond the node); otherwise the node's (shared table, else the primary). */
function workerStores(
  settings: WorkerSettings,
  logger: ReturnType<typeof createLogger>,
  channel: PrimaryChannel,
  table: SharedTable | undefined,
): Stores {
  if (settings.redisUrl) return createStores({ redisUrl: settings.redisUrl, logger });
  const viaPrimary = new WorkerCounterStore(channel);
  const counters = table ? new SharedCounterStore(table, viaPrimary) : viaPrimary;
  const responseCache = new MemoryResponseCacheStore();
  return {
    counters,
    responseCache,
    ready: async () => true,
    close: async () => {
      await responseCache.close();
    },
  };
}

function notStarted(): ApplyResult {
  return { ok: false, problems: [{ path: '', message: 'worker not started' }] };
}

/** Request records leave in batches (size or time), never one message per request. */
class RecordForwarder {
  private batch: RequestRecord[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly post: (message: ToPrimary) => void) {}

  readonly add = (record: RequestRecord): void => {
    this.batch.push(record);
    if (this.batch.length >= RECORD_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), RECORD_FLUSH_MS);
  };

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0) return;
    const records = this.batch;
    this.batch = [];
    this.post({ t: 'records', records });
  }
}

void main();
