/**
 * How a checked batch reaches `analytics_requests`: COPY (text format) into a per-connection
 * temporary staging table, then INSERT ... SELECT deduplicating on the key (time, id) with ON
 * CONFLICT DO NOTHING, in one transaction with the rollup upsert. COPY text is cheaper to build than
 * JSON and far cheaper for PostgreSQL to read than json_to_recordset (measured: ~13-20 vs ~36 µs of
 * backend CPU a record); PGlite reads it from a Blob for less than JSON too (docs/benchmarks.md).
 *  - PostgreSQL: COPY FROM STDIN (pg-copy-streams) on a pooled connection.
 *  - PGlite (one embedded connection): COPY FROM '/dev/blob'.
 * Either answers how many rows were new and, only when that is not all of them, which ones (their
 * 1-based positions in the batch): a batch without replays sends no row back at all.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { AnalyticsRecord } from './analytics-ingest.js';
import type { RollupRow } from './analytics-rollup.js';

export interface Inserted {
  count: number;
  /** Positions (1-based) of the records that were new, when some were not. */
  positions: number[] | null;
}

export interface Gateway {
  id: string;
  envId: string;
}

const COLUMNS = `id, env_id, gateway_id, time, api, plan, application, subscription, method, route, status,
  latency_ms, upstream_latency_ms, bytes_in, bytes_out, client_ip, error_code`;

/** Dedupe and "which were new"; `src` has an `ord` column. */
const insertFrom = (src: string, values: string, kept: string) =>
  `WITH src AS MATERIALIZED (${src}),
  ins AS (INSERT INTO analytics_requests (${COLUMNS})
    SELECT ${values} FROM src ON CONFLICT DO NOTHING RETURNING id, time),
  n AS (SELECT count(*)::int AS n FROM ins)
  SELECT n.n, CASE WHEN n.n < ${kept} THEN (SELECT array_agg(ord) FROM (
    SELECT DISTINCT ON (ins.time, ins.id) src.ord FROM ins JOIN src ON src.id = ins.id AND src.time = ins.time
    ORDER BY ins.time, ins.id, src.ord) AS d) END AS positions FROM n`;

const ROLLUP_UPSERT = `INSERT INTO analytics_rollups (env_id, grain, bucket, api, plan, application, status, count,
    errors, latency_sum, latency_hist)
  SELECT $1::uuid, r.grain, to_timestamp(r.bucket), r.api, r.plan, r.application, r.status, r.count,
    r.errors, r.sum, r.hist::int[]
  FROM json_to_recordset($2::json)
    AS r(grain int, bucket bigint, api text, plan text, application text, status int, count bigint, errors bigint,
      sum float8, hist text)
  ON CONFLICT (env_id, grain, bucket, api, plan, application, status) DO UPDATE SET
    count = analytics_rollups.count + excluded.count,
    errors = analytics_rollups.errors + excluded.errors,
    latency_sum = analytics_rollups.latency_sum + excluded.latency_sum,
    latency_hist = ARRAY(SELECT a + b FROM unnest(analytics_rollups.latency_hist, excluded.latency_hist)
      WITH ORDINALITY AS h(a, b, i) ORDER BY i)`;

function inserted(row: { n: number | string; positions: number[] | null } | undefined): Inserted {
  return { count: Number(row?.n ?? 0), positions: row?.positions ? row.positions.map(Number) : null };
}

// ---------------------------------------------------------------- PostgreSQL: COPY

const STAGE = `CREATE TEMP TABLE IF NOT EXISTS analytics_stage (ord int, id uuid, time timestamptz, api text, plan text,
  application text, subscription text, method text, route text, status int, latency_ms float8,
  upstream_latency_ms float8, bytes_in bigint, bytes_out bigint, client_ip text, error_code text)
  ON COMMIT DELETE ROWS`;
// Connections whose session already has the staging table (it lives as long as the connection).
const staged = new WeakSet<pg.PoolClient>();

const SPECIAL = /[\\\n\r\t]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const text = (v: string | null | undefined): string =>
  v === null || v === undefined ? '\\N' : SPECIAL.test(v) ? v.replace(/[\\\n\r\t]/g, (c) => ESCAPES[c]!) : v;
const num = (v: number | null | undefined): string => (v === null || v === undefined ? '\\N' : String(v));

/** COPY's text format, one line a record, in batch order (ord = position). */
export function copyText(records: AnalyticsRecord[]): string {
  const lines = new Array<string>(records.length + 1);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    lines[i] =
      `${i + 1}\t${r.id}\t${r.time}\t${text(r.api)}\t${text(r.plan)}\t${text(r.application)}\t${text(r.subscription)}\t` +
      `${text(r.method)}\t${text(r.route)}\t${r.status}\t${r.latencyMs}\t${num(r.upstreamLatencyMs)}\t` +
      `${num(r.bytesIn)}\t${num(r.bytesOut)}\t${text(r.clientIp)}\t${text(r.errorCode)}`;
  }
  lines[records.length] = '';
  return lines.join('\n');
}

/** The staging table's rows into analytics_requests; $1 env, $2 gateway, $3 batch length. */
const INSERT_STAGED = insertFrom(
  'SELECT * FROM analytics_stage',
  `src.id, $1::uuid, $2::uuid, src.time, src.api, src.plan, src.application, src.subscription, src.method,
    src.route, src.status, src.latency_ms, src.upstream_latency_ms, src.bytes_in, src.bytes_out,
    src.client_ip, src.error_code`,
  '$3::int',
);

export async function writeWithCopy(
  pool: pg.Pool,
  gateway: Gateway,
  records: AnalyticsRecord[],
  rollups: (inserted: Inserted) => RollupRow[],
): Promise<Inserted> {
  const body = copyText(records);
  const client = await pool.connect();
  // A connection whose state is unknown (ROLLBACK failed) is closed rather than given back.
  let broken: Error | undefined;
  try {
    if (!staged.has(client)) {
      await client.query(STAGE);
      staged.add(client);
    }
    await client.query('BEGIN');
    try {
      await pipeline(Readable.from([body]), client.query(copyFrom('COPY analytics_stage FROM STDIN')));
      const result = await client.query(INSERT_STAGED, [gateway.envId, gateway.id, records.length]);
      const answer = inserted(result.rows[0]);
      if (answer.count > 0) await client.query(ROLLUP_UPSERT, [gateway.envId, JSON.stringify(rollups(answer))]);
      await client.query('COMMIT');
      return answer;
    } catch (error) {
      await client.query('ROLLBACK').catch((e: Error) => {
        broken = e;
      });
      throw error;
    }
  } finally {
    client.release(broken);
  }
}

// ---------------------------------------------------------------- PGlite: COPY from a blob

// PGlite instances whose (single) session already has the staging table.
const stagedPglite = new WeakSet<PGlite>();

/**
 * The same COPY text and staging table on PGlite, whose COPY reads a Blob handed to the query
 * (`FROM '/dev/blob'`). It replaced a json_to_recordset insert: PGlite's CPU is the control plane's,
 * and it reads COPY text for less than JSON (measured: decisions/0015).
 */
export async function writeWithBlob(
  client: PGlite,
  gateway: Gateway,
  records: AnalyticsRecord[],
  rollups: (inserted: Inserted) => RollupRow[],
): Promise<Inserted> {
  const blob = new Blob([copyText(records)]);
  if (!stagedPglite.has(client)) {
    await client.query(STAGE);
    stagedPglite.add(client);
  }
  return client.transaction(async (tx) => {
    await tx.query("COPY analytics_stage FROM '/dev/blob'", [], { blob });
    const result = await tx.query<{ n: number; positions: number[] | null }>(INSERT_STAGED, [
      gateway.envId,
      gateway.id,
      records.length,
    ]);
    const answer = inserted(result.rows[0]);
    if (answer.count > 0) await tx.query(ROLLUP_UPSERT, [gateway.envId, JSON.stringify(rollups(answer))]);
    return answer;
  });
}
