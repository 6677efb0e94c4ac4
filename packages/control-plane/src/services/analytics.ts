/**
 * Request analytics from gateways: batched, idempotent ingestion (record ids are primary keys, so
 * a replayed batch counts once) and aggregate queries for the management API.
 */
import { GatewayError } from '@gatehouse/core';
import { and, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { type EnvScope, ownOnly } from '../auth/context.js';
import type { GatewayPrincipal } from '../auth/gateway-token.js';
import { type Database, rowsOf } from '../db/connect.js';
import { analyticsRequests, applications } from '../db/schema.js';
import { invalid } from '../http/validation.js';

// 17 columns per row: 1000 rows stay far below PostgreSQL's 65,535 parameters per statement.
const INSERT_CHUNK = 1000;

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

export async function ingestAnalytics(
  db: Database,
  gateway: Pick<GatewayPrincipal, 'id' | 'envId'>,
  records: AnalyticsRecord[],
): Promise<{ accepted: number; duplicates: number }> {
  let accepted = 0;
  for (let i = 0; i < records.length; i += INSERT_CHUNK) {
    const rows = records.slice(i, i + INSERT_CHUNK).map((r) => ({
      id: r.id,
      envId: gateway.envId,
      gatewayId: gateway.id,
      time: new Date(r.time),
      api: r.api ?? null,
      plan: r.plan ?? null,
      application: r.application ?? null,
      subscription: r.subscription ?? null,
      method: r.method,
      route: r.route ?? null,
      status: r.status,
      latencyMs: r.latencyMs,
      upstreamLatencyMs: r.upstreamLatencyMs ?? null,
      bytesIn: r.bytesIn ?? null,
      bytesOut: r.bytesOut ?? null,
      clientIp: r.clientIp ?? null,
      errorCode: r.errorCode ?? null,
    }));
    const inserted = await db
      .insert(analyticsRequests)
      .values(rows)
      .onConflictDoNothing({ target: analyticsRequests.id })
      .returning({ id: analyticsRequests.id });
    accepted += inserted.length;
  }
  return { accepted, duplicates: records.length - accepted };
}

export const ANALYTICS_INTERVALS = { '1m': 60, '1h': 3600, '1d': 86_400 } as const;
export type AnalyticsInterval = keyof typeof ANALYTICS_INTERVALS;
export const ANALYTICS_GROUPS = ['api', 'plan', 'application', 'status'] as const;
export type AnalyticsGroup = (typeof ANALYTICS_GROUPS)[number];
const MAX_BUCKETS = 1500;
const MAX_GROUPS = 100;

export interface AnalyticsQuery {
  from?: string | undefined;
  to?: string | undefined;
  apiId?: string | undefined;
  applicationId?: string | undefined;
  interval?: AnalyticsInterval | 'auto' | undefined;
  groupBy?: AnalyticsGroup | undefined;
}

type StatusClasses = Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>;
interface Latency {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** A bucket size giving at most a few hundred points over the range. */
export function autoInterval(rangeMs: number): AnalyticsInterval {
  if (rangeMs <= 6 * 3_600_000) return '1m';
  if (rangeMs <= 14 * 86_400_000) return '1h';
  return '1d';
}

const aggregates = sql`count(*)::int AS total,
  count(*) FILTER (WHERE status < 200)::int AS c1,
  count(*) FILTER (WHERE status >= 200 AND status < 300)::int AS c2,
  count(*) FILTER (WHERE status >= 300 AND status < 400)::int AS c3,
  count(*) FILTER (WHERE status >= 400 AND status < 500)::int AS c4,
  count(*) FILTER (WHERE status >= 500)::int AS c5,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
  percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,
  percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99`;
type AggregateRow = { total: number; c1: number; c2: number; c3: number; c4: number; c5: number } & Record<
  'p50' | 'p95' | 'p99',
  number | string | null
>;

const GROUP_COLUMNS: Record<AnalyticsGroup, SQL> = {
  api: sql`api`,
  plan: sql`plan`,
  application: sql`application`,
  status: sql`status::text`,
};

function classes(row: AggregateRow | undefined): StatusClasses {
  return {
    '1xx': Number(row?.c1 ?? 0),
    '2xx': Number(row?.c2 ?? 0),
    '3xx': Number(row?.c3 ?? 0),
    '4xx': Number(row?.c4 ?? 0),
    '5xx': Number(row?.c5 ?? 0),
  };
}

function latency(row: AggregateRow | undefined): Latency {
  const n = (v: number | string | null | undefined) => (v === null || v === undefined ? null : round(Number(v)));
  return { p50: n(row?.p50), p95: n(row?.p95), p99: n(row?.p99) };
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/**
 * Totals, status classes and latency percentiles over [from, to), in time buckets and optionally
 * per group. Consumers see only their own applications' traffic.
 */
export async function queryRequestAnalytics(scope: EnvScope, query: AnalyticsQuery, now = new Date()) {
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - 3_600_000);
  if (from >= to) throw invalid('query.from', 'must be before `to`');
  const interval =
    !query.interval || query.interval === 'auto' ? autoInterval(to.getTime() - from.getTime()) : query.interval;
  const step = ANALYTICS_INTERVALS[interval];
  const firstBucket = Math.floor(from.getTime() / 1000 / step) * step;
  const bucketCount = Math.ceil((to.getTime() / 1000 - firstBucket) / step);
  if (bucketCount > MAX_BUCKETS)
    throw invalid('query.interval', `gives ${bucketCount} buckets over this range; at most ${MAX_BUCKETS}`);

  const filters: (SQL | undefined)[] = [
    eq(analyticsRequests.envId, scope.env.id),
    gte(analyticsRequests.time, from),
    lt(analyticsRequests.time, to),
    query.apiId ? eq(analyticsRequests.api, query.apiId) : undefined,
  ];
  const owner = ownOnly(scope);
  if (owner || query.applicationId) {
    const owned = await scope.db
      .select({ id: applications.id })
      .from(applications)
      .where(
        and(
          eq(applications.envId, scope.env.id),
          owner ? eq(applications.ownerId, owner) : undefined,
          query.applicationId ? eq(applications.id, query.applicationId) : undefined,
        ),
      );
    // Someone else's application does not exist for a consumer (as everywhere else).
    if (query.applicationId && owned.length === 0)
      throw new GatewayError('not_found', { detail: 'No such application.' });
    if (owned.length === 0) filters.push(sql`false`);
    else
      filters.push(
        inArray(
          analyticsRequests.application,
          owned.map((a) => a.id),
        ),
      );
  }
  const where = and(...filters);

  const [overall] = rowsOf<AggregateRow>(
    await scope.db.execute(sql`SELECT ${aggregates} FROM ${analyticsRequests} WHERE ${where}`),
  );
  const bucketRows = rowsOf<AggregateRow & { bucket: string | number }>(
    await scope.db.execute(
      sql`SELECT (floor(extract(epoch FROM time) / ${step}) * ${step})::bigint AS bucket, ${aggregates}
          FROM ${analyticsRequests} WHERE ${where} GROUP BY 1`,
    ),
  );
  const byBucket = new Map(bucketRows.map((r) => [Number(r.bucket), r]));
  // Every bucket of the range, empty ones included, so charts need no gap filling.
  const buckets = Array.from({ length: bucketCount }, (_, i) => {
    const start = firstBucket + i * step;
    const row = byBucket.get(start);
    return {
      start: new Date(start * 1000).toISOString(),
      total: Number(row?.total ?? 0),
      byStatusClass: classes(row),
      latency: latency(row),
    };
  });

  let groups: Array<{ key: string | null; total: number; byStatusClass: StatusClasses; latency: Latency }> | undefined;
  if (query.groupBy) {
    const column = GROUP_COLUMNS[query.groupBy];
    const groupRows = rowsOf<AggregateRow & { key: string | null }>(
      await scope.db.execute(
        sql`SELECT ${column} AS key, ${aggregates} FROM ${analyticsRequests} WHERE ${where}
            GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${MAX_GROUPS}`,
      ),
    );
    groups = groupRows.map((r) => ({
      key: r.key,
      total: Number(r.total),
      byStatusClass: classes(r),
      latency: latency(r),
    }));
  }

  return {
    from: from.toISOString(),
    to: to.toISOString(),
    interval,
    total: Number(overall?.total ?? 0),
    byStatusClass: classes(overall),
    latency: latency(overall),
    buckets,
    ...(groups ? { groupBy: query.groupBy, groups } : {}),
  };
}
