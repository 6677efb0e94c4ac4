/**
 * Per-request analytics, batched (every interval or batchSize records) and shipped to the control
 * plane. Undeliverable batches go to the disk spool and are replayed oldest first; the control
 * plane deduplicates on record id, so a replay after an uncertain send never double counts.
 */
import { randomUUID } from 'node:crypto';
import type { AnalyticsRecord as WireAnalyticsRecord } from '@gatehouse/config';
import type { Logger } from '@gatehouse/core';
import type { RequestRecord } from '../handler.js';
import { Backoff } from './backoff.js';
import { ControlPlaneError } from './control-plane-client.js';
import { anonymizeIp, type ClientIpAnonymization } from './ip-anonymization.js';
import type { DiskSpool } from './spool.js';

/**
 * The wire record (the protocol's AnalyticsRecord), with the members this gateway always fills.
 * Never credentials: no headers, no query.
 */
export type AnalyticsRecord = WireAnalyticsRecord & {
  api: string | null;
  plan: string | null;
  application: string | null;
  subscription: string | null;
  route: string | null;
  upstreamLatencyMs: number | null;
  bytesIn: number;
  bytesOut: number;
  clientIp: string;
  errorCode: string | null;
};

export function toAnalyticsRecord(record: RequestRecord, anonymization: ClientIpAnonymization): AnalyticsRecord {
  return {
    // Not the request id: clients may choose that one, and a duplicate would be deduplicated away.
    id: randomUUID(),
    time: record.time,
    api: record.api ?? null,
    plan: record.plan ?? null,
    application: record.application ?? null,
    subscription: record.subscription ?? null,
    method: record.method,
    route: record.route ?? null,
    status: record.status,
    latencyMs: record.latencyMs,
    upstreamLatencyMs: record.upstreamLatencyMs ?? null,
    bytesIn: record.bytesIn,
    bytesOut: Math.max(0, record.bytesOut),
    clientIp: anonymizeIp(record.clientIp, anonymization),
    errorCode: record.errorCode ?? null,
  };
}

export interface AnalyticsShipperOptions {
  send: (records: AnalyticsRecord[]) => Promise<unknown>;
  spool: DiskSpool;
  logger: Logger;
  onSent?: (records: number) => void;
  onDropped?: (records: number) => void;
  batchSize?: number;
  intervalMs?: number;
  /** Records held in memory before the oldest are dropped (the spool bounds the disk side). */
  maxBuffered?: number;
}

export class AnalyticsShipper {
  private buffer: AnalyticsRecord[] = [];
  private running: Promise<void> = Promise.resolve();
  private flushQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private retryAt = 0;
  private readonly backoff = new Backoff(1000, 30_000);
  private readonly batchSize: number;
  private readonly maxBuffered: number;

  constructor(private readonly options: AnalyticsShipperOptions) {
    this.batchSize = Math.min(options.batchSize ?? 500, 5000);
    this.maxBuffered = options.maxBuffered ?? 50_000;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs ?? 2000);
    this.timer.unref();
  }

  add(record: AnalyticsRecord): void {
    this.buffer.push(record);
    if (this.buffer.length > this.maxBuffered) {
      const excess = this.buffer.length - this.maxBuffered;
      this.buffer.splice(0, excess);
      this.options.onDropped?.(excess);
    }
    if (this.buffer.length >= this.batchSize) void this.flush();
  }

  get buffered(): number {
    return this.buffer.length;
  }

  /** Runs one flush after any in progress; concurrent callers share it. */
  flush(): Promise<void> {
    if (this.flushQueued) return this.running;
    this.flushQueued = true;
    this.running = this.running.then(async () => {
      this.flushQueued = false;
      try {
        await this.flushOnce();
      } catch (error) {
        this.options.logger.error({ err: error }, 'analytics flush failed');
      }
    });
    return this.running;
  }

  /** Final flush at shutdown: whatever cannot be sent now is spooled for the next run. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.retryAt = 0;
    await this.flush();
  }

  private async flushOnce(): Promise<void> {
    const { spool } = this.options;
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.batchSize);
      // Keep order: while older batches wait on disk, new ones queue behind them.
      if (spool.batches === 0 && this.mayTry() && (await this.trySend(batch)) !== false) continue;
      await spool.push(batch);
    }
    while (spool.batches > 0 && this.mayTry()) {
      const oldest = await spool.oldest();
      if (!oldest) break;
      if ((await this.trySend(oldest.records as AnalyticsRecord[])) === false) break;
      await spool.remove(oldest.name);
    }
  }

  private mayTry(): boolean {
    return Date.now() >= this.retryAt;
  }

  /** true: delivered; false: try again later; undefined: refused for good (dropped, counted). */
  private async trySend(records: AnalyticsRecord[]): Promise<boolean | undefined> {
    try {
      await this.options.send(records);
      this.backoff.reset();
      this.retryAt = 0;
      this.options.onSent?.(records.length);
      return true;
    } catch (error) {
      if (error instanceof ControlPlaneError && error.kind === 'rejected') {
        this.options.logger.error(
          { err: error.message, records: records.length },
          'control plane rejected an analytics batch; dropped',
        );
        this.options.onDropped?.(records.length);
        return undefined;
      }
      const delay = this.backoff.next();
      this.retryAt = Date.now() + delay;
      this.options.logger.warn(
        { err: (error as Error).message, retryInMs: delay },
        'analytics not delivered; spooling',
      );
      return false;
    }
  }
}
