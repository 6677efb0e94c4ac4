/**
 * Ingest of gateways' request records. One pass over the batch checks each record against the
 * protocol schema (services/analytics-record-check.ts), drops those dated out of range and groups
 * the rest per minute and key for the rollups; then one transaction stores the raw rows (COPY on
 * PostgreSQL, from a Blob on PGlite: services/analytics-write.ts) and upserts the minute,
 * hour and day rollups of the rows that were new. Record ids (with their time, the partition key)
 * deduplicate replays, so a batch sent twice counts once.
 *
 * Ingest shares the gateway-protocol pool with heartbeats and sync, so it may hold at most half of
 * its connections; past a short queue a batch is answered 503 and the gateway keeps it in its spool
 * for later. Analytics can slow down, never starve the protocol.
 */
import { PGlite } from '@electric-sql/pglite';
import { GatewayError } from '@gatehouse/core';
import pg from 'pg';
import type { GatewayPrincipal } from '../auth/gateway-token.js';
import type { Database } from '../db/connect.js';
import { DAY_MS, dayOf, ensurePartitions, errorCode, forgetPartitions } from './analytics-partitions.js';
import { checkRecord } from './analytics-record-check.js';
import { RollupAccumulator, type RollupRow } from './analytics-rollup.js';
import { type Inserted, writeWithBlob, writeWithCopy } from './analytics-write.js';

export { ROLLUP_GRAINS } from './analytics-rollup.js';

export interface AnalyticsRecord {
  id: string;
  time: string;
  api?: string | null | undefined;
  plan?: string | null | undefined;
  application?: string | null | undefined;
  subscription?: string | null | undefined;
  method: string;
  route?: string | null | undefined;
  status: number;
  latencyMs: number;
  upstreamLatencyMs?: number | null | undefined;
  bytesIn?: number | null | undefined;
  bytesOut?: number | null | undefined;
  clientIp?: string | null | undefined;
  errorCode?: string | null | undefined;
}

/** Records dated further ahead than this (a gateway's clock is wrong) or older than MAX_AGE are refused. */
const MAX_AHEAD_MS = DAY_MS;
const MAX_AGE_MS = 400 * DAY_MS;
/** Batches waiting for an ingest slot beyond this many are answered 503 (the gateway spools them). */
const MAX_WAITING = 16;

export interface IngestResult {
  accepted: number;
  duplicates: number;
  /** Dated outside [now - 400 days, now + 1 day]: not stored. */
  rejected: number;
}

/** At most `slots` batches in the database at once per handle; a bounded queue behind them. */
class IngestGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly slots: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.slots) {
      if (this.waiting.length >= MAX_WAITING)
        throw new GatewayError('service_unavailable', { detail: 'Analytics ingest is busy; send this batch later.' });
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next batch in line.
      if (next) next();
      else this.running--;
    }
  }
}
const gates = new WeakMap<Database, IngestGate>();

/** The driver behind a Drizzle handle: a pg pool (PostgreSQL) or the embedded PGlite. */
function clientOf(db: Database): pg.Pool | PGlite {
  const client = (db as unknown as { $client?: unknown }).$client;
  if (client instanceof pg.Pool || client instanceof PGlite) return client;
  throw new Error('analytics ingest needs a root database handle (a pg pool or PGlite)');
}

function gateOf(db: Database, pool: pg.Pool | undefined): IngestGate {
  let gate = gates.get(db);
  if (!gate) {
    gate = new IngestGate(pool ? Math.max(1, Math.floor((pool.options.max ?? 4) / 2)) : 1);
    gates.set(db, gate);
  }
  return gate;
}

/**
 * Stores a batch. Throws validation_failed (400) for a record that breaks the protocol schema
 * (nothing of the batch is stored then) and service_unavailable (503) when ingest is saturated.
 */
export async function ingestAnalytics(
  db: Database,
  gateway: Pick<GatewayPrincipal, 'id' | 'envId'>,
  records: readonly unknown[],
  now = Date.now(),
): Promise<IngestResult> {
  const kept: AnalyticsRecord[] = [];
  const times: number[] = [];
  const days = new Set<number>();
  const rollup = new RollupAccumulator();
  for (let i = 0; i < records.length; i++) {
    const time = checkRecord(records[i], i);
    if (!(time >= now - MAX_AGE_MS && time <= now + MAX_AHEAD_MS)) continue;
    const record = records[i] as AnalyticsRecord;
    kept.push(record);
    times.push(time);
    rollup.add(record, time);
    const day = dayOf(time);
    days.add(day);
  }
  const rejected = records.length - kept.length;
  if (kept.length === 0) return { accepted: 0, duplicates: 0, rejected };

  // All new (the usual case): the rollups built in the pass. Otherwise only those the database took.
  const rollups = (inserted: Inserted): RollupRow[] => {
    if (!inserted.positions) return rollup.rows();
    const some = new RollupAccumulator();
    for (const position of inserted.positions) some.add(kept[position - 1]!, times[position - 1]!);
    return some.rows();
  };
  const client = clientOf(db);
  const pool = client instanceof pg.Pool ? client : undefined;
  return gateOf(db, pool).run(async () => {
    await ensurePartitions(db, days);
    for (let attempt = 1; ; attempt++) {
      try {
        const inserted =
          client instanceof PGlite
            ? await writeWithBlob(client, gateway, kept, rollups)
            : await writeWithCopy(client, gateway, kept, rollups);
        return { accepted: inserted.count, duplicates: kept.length - inserted.count, rejected };
      } catch (error) {
        const code = errorCode(error);
        if (attempt >= 3) throw error;
        // 23514: no partition for a row (dropped meanwhile by retention, maybe on another replica).
        if (code === '23514') {
          forgetPartitions(db);
          await ensurePartitions(db, days);
        } else if (code !== '40P01' && code !== '40001') throw error;
        // 40P01: two batches upserting the same rollup rows in opposite orders; the retry runs alone.
      }
    }
  });
}
