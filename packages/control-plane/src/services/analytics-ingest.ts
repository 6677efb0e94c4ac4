/**
 * Ingest of gateways' request records: one statement inserts the batch (PostgreSQL parses it from
 * one JSON parameter: no ORM, no per-value parameters, the same path on pg and PGlite), the
 * records that were new update the minute, hour and day rollups, both in one transaction. Record
 * ids (with their time, the partition key) deduplicate replays, so a batch sent twice counts once.
 */
import { sql } from 'drizzle-orm';
import type { GatewayPrincipal } from '../auth/gateway-token.js';
import { type Database, rowsOf } from '../db/connect.js';
import { DAY_MS, dayOf, ensurePartitions, errorCode, forgetPartitions } from './analytics-partitions.js';
import { bucketOf, emptyHistogram, toPgArray } from './latency-histogram.js';
import { inTransaction } from './tx.js';

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

export const ROLLUP_GRAINS = [60, 3600, 86_400] as const;
/** Records dated further ahead than this (a gateway's clock is wrong) or older than MAX_AGE are refused. */
const MAX_AHEAD_MS = DAY_MS;
const MAX_AGE_MS = 400 * DAY_MS;

export interface IngestResult {
  accepted: number;
  duplicates: number;
  /** Dated outside [now - 400 days, now + 1 day]: not stored. */
  rejected: number;
}

const COLUMNS = `id uuid, time timestamptz, api text, plan text, application text, subscription text,
  method text, route text, status int, "latencyMs" float8, "upstreamLatencyMs" float8, "bytesIn" bigint,
  "bytesOut" bigint, "clientIp" text, "errorCode" text`;

export async function ingestAnalytics(
  db: Database,
  gateway: Pick<GatewayPrincipal, 'id' | 'envId'>,
  records: AnalyticsRecord[],
  now = Date.now(),
): Promise<IngestResult> {
  const byId = new Map<string, AnalyticsRecord>();
  const days = new Set<number>();
  const kept: AnalyticsRecord[] = [];
  for (const record of records) {
    const time = Date.parse(record.time);
    if (!(time >= now - MAX_AGE_MS && time <= now + MAX_AHEAD_MS)) continue;
    kept.push(record);
    byId.set(record.id.toLowerCase(), record);
    days.add(dayOf(time));
  }
  const rejected = records.length - kept.length;
  if (kept.length === 0) return { accepted: 0, duplicates: 0, rejected };
  await ensurePartitions(db, days);
  const json = JSON.stringify(kept);
  for (let attempt = 1; ; attempt++) {
    try {
      const accepted = await inTransaction(db, (tx) => insertBatch(tx, gateway, json, byId));
      return { accepted, duplicates: kept.length - accepted, rejected };
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
}

async function insertBatch(
  tx: Database,
  gateway: Pick<GatewayPrincipal, 'id' | 'envId'>,
  json: string,
  byId: Map<string, AnalyticsRecord>,
): Promise<number> {
  const inserted = rowsOf<{ id: string; minute: number }>(
    await tx.execute(sql`INSERT INTO analytics_requests (id, env_id, gateway_id, time, api, plan, application,
        subscription, method, route, status, latency_ms, upstream_latency_ms, bytes_in, bytes_out, client_ip, error_code)
      SELECT r.id, ${gateway.envId}::uuid, ${gateway.id}::uuid, r.time, r.api, r.plan, r.application, r.subscription,
        r.method, r.route, r.status, r."latencyMs", r."upstreamLatencyMs", r."bytesIn", r."bytesOut", r."clientIp",
        r."errorCode"
      FROM json_to_recordset(${json}::json) AS r(${sql.raw(COLUMNS)})
      ON CONFLICT DO NOTHING
      RETURNING id, (floor(extract(epoch FROM time) / 60))::int AS minute`),
  );
  if (inserted.length === 0) return 0;
  const rollups = rollupRows(inserted, byId);
  await tx.execute(sql`INSERT INTO analytics_rollups (env_id, grain, bucket, api, plan, application, status, count,
      errors, latency_sum, latency_hist)
    SELECT ${gateway.envId}::uuid, r.grain, to_timestamp(r.bucket), r.api, r.plan, r.application, r.status, r.count,
      r.errors, r.sum, r.hist::int[]
    FROM json_to_recordset(${JSON.stringify(rollups)}::json)
      AS r(grain int, bucket bigint, api text, plan text, application text, status int, count bigint, errors bigint,
        sum float8, hist text)
    ON CONFLICT (env_id, grain, bucket, api, plan, application, status) DO UPDATE SET
      count = analytics_rollups.count + excluded.count,
      errors = analytics_rollups.errors + excluded.errors,
      latency_sum = analytics_rollups.latency_sum + excluded.latency_sum,
      latency_hist = ARRAY(SELECT a + b FROM unnest(analytics_rollups.latency_hist, excluded.latency_hist)
        WITH ORDINALITY AS h(a, b, i) ORDER BY i)`);
  return inserted.length;
}

interface Rollup {
  grain: number;
  bucket: number;
  api: string;
  plan: string;
  application: string;
  status: number;
  count: number;
  errors: number;
  sum: number;
  histogram: number[];
}

/** Aggregates the records the database took as new, per grain, bucket and key, in key order. */
export function rollupRows(
  inserted: Array<{ id: string; minute: number }>,
  byId: Map<string, AnalyticsRecord>,
): Array<Omit<Rollup, 'histogram'> & { hist: string }> {
  const groups = new Map<string, Rollup>();
  for (const row of inserted) {
    const record = byId.get(String(row.id).toLowerCase());
    if (!record) continue;
    const seconds = Number(row.minute) * 60;
    const index = bucketOf(record.latencyMs);
    const api = record.api ?? '';
    const plan = record.plan ?? '';
    const application = record.application ?? '';
    for (const grain of ROLLUP_GRAINS) {
      const bucket = seconds - (seconds % grain);
      const key = `${grain}\u0000${bucket}\u0000${api}\u0000${plan}\u0000${application}\u0000${record.status}`;
      let group = groups.get(key);
      if (!group) {
        group = {
          grain,
          bucket,
          api,
          plan,
          application,
          status: record.status,
          count: 0,
          errors: 0,
          sum: 0,
          histogram: emptyHistogram(),
        };
        groups.set(key, group);
      }
      group.count++;
      if (record.errorCode) group.errors++;
      group.sum += record.latencyMs;
      group.histogram[index]!++;
    }
  }
  // One order for every batch: concurrent upserts of the same rows then wait rather than deadlock.
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { histogram, ...rest }]) => ({ ...rest, hist: toPgArray(histogram) }));
}
