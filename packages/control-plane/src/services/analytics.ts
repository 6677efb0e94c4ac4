/**
 * Request analytics queries for the management API, answered from the rollups maintained at ingest
 * (services/analytics-ingest.ts): a day of any traffic is 24 hour rows per key, whatever the number of
 * requests. Counts are exact; percentiles come from merged histograms (services/latency-histogram.ts).
 */
import { GatewayError } from '@gatehouse/core';
import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { type EnvScope, ownOnly } from '../auth/context.js';
import { type Database, rowsOf } from '../db/connect.js';
import { applications } from '../db/schema.js';
import { invalid } from '../http/validation.js';
import { errorCode } from './analytics-partitions.js';
import { emptyHistogram, mergeInto, percentile } from './latency-histogram.js';
import { inTransaction } from './tx.js';

export { type AnalyticsRecord, ingestAnalytics } from './analytics-ingest.js';

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

/** A heavy query gives up rather than hold a connection (and the dashboards behind it) for long. */
export const ANALYTICS_STATEMENT_TIMEOUT_MS = 10_000;
/** A bucket size giving at most a few hundred points over the range. */
export function autoInterval(rangeMs: number): AnalyticsInterval {
  if (rangeMs <= 6 * 3_600_000) return '1m';
  if (rangeMs <= 14 * 86_400_000) return '1h';
  return '1d';
}

/** Rollup grain per bucket size: the coarsest that still fits a bucket. */
const GRAIN: Record<AnalyticsInterval, number> = { '1m': 60, '1h': 3600, '1d': 86_400 };

class Aggregate {
  total = 0;
  readonly classes = [0, 0, 0, 0, 0];
  readonly histogram = emptyHistogram();
  count(statusClass: number, count: number): void {
    this.total += count;
    this.classes[Math.min(4, Math.max(0, statusClass - 1))]! += count;
  }
  json() {
    const [c1, c2, c3, c4, c5] = this.classes;
    const p = (q: number) => {
      const v = percentile(this.histogram, q);
      return v === null ? null : Math.round(v * 1000) / 1000;
    };
    return {
      total: this.total,
      byStatusClass: { '1xx': c1!, '2xx': c2!, '3xx': c3!, '4xx': c4!, '5xx': c5! },
      latency: { p50: p(0.5), p95: p(0.95), p99: p(0.99) },
    };
  }
}

const GROUP_COLUMN: Record<AnalyticsGroup, SQL> = {
  api: sql`api`,
  plan: sql`plan`,
  application: sql`application`,
  status: sql`status::text`,
};

/** What one query answers: a key (bucket start or group), its counts per status class and histogram. */
interface Summed {
  counts: Array<{ key: string | number; c: number; n: number | string }>;
  bins: Array<{ key: string | number; k: number; n: number | string }>;
}

/**
 * Counts per (key, status class) and histogram bins per (key, bin), summed in the database: only
 * small results reach the control plane, whose one thread also serves the gateways.
 */
async function summed(tx: Database, key: SQL, where: SQL): Promise<Summed> {
  const counts = rowsOf<Summed['counts'][number]>(
    await tx.execute(sql`SELECT ${key} AS key, status / 100 AS c, sum(count)::float8 AS n
      FROM analytics_rollups WHERE ${where} GROUP BY 1, 2`),
  );
  const bins = rowsOf<Summed['bins'][number]>(
    await tx.execute(sql`SELECT ${key} AS key, h.k::int - 1 AS k, sum(h.n)::float8 AS n
      FROM analytics_rollups, unnest(latency_hist) WITH ORDINALITY AS h(n, k)
      WHERE ${where} AND h.n <> 0 GROUP BY 1, 2`),
  );
  return { counts, bins };
}

function aggregates<K>(result: Summed, keyOf: (key: string | number) => K): Map<K, Aggregate> {
  const map = new Map<K, Aggregate>();
  const of = (key: string | number) => {
    const k = keyOf(key);
    let aggregate = map.get(k);
    if (!aggregate) {
      aggregate = new Aggregate();
      map.set(k, aggregate);
    }
    return aggregate;
  };
  for (const row of result.counts) of(row.key).count(Number(row.c), Number(row.n));
  for (const row of result.bins) {
    const histogram = of(row.key).histogram;
    if (row.k >= 0 && row.k < histogram.length) histogram[row.k]! += Number(row.n);
  }
  return map;
}

/**
 * Totals, status classes and latency percentiles over [from, to) widened to whole buckets of the
 * interval (the answer's from/to say which), in buckets and optionally per group. Consumers see only
 * their own applications' traffic. Runs under a statement timeout on `db` (the analytics pool).
 */
export async function queryRequestAnalytics(scope: EnvScope, query: AnalyticsQuery, now = new Date()) {
  const requestedTo = query.to ? new Date(query.to) : now;
  const requestedFrom = query.from ? new Date(query.from) : new Date(requestedTo.getTime() - 3_600_000);
  if (requestedFrom >= requestedTo) throw invalid('query.from', 'must be before `to`');
  const interval =
    !query.interval || query.interval === 'auto'
      ? autoInterval(requestedTo.getTime() - requestedFrom.getTime())
      : query.interval;
  const step = ANALYTICS_INTERVALS[interval];
  const firstBucket = Math.floor(requestedFrom.getTime() / 1000 / step) * step;
  const bucketCount = Math.ceil((requestedTo.getTime() / 1000 - firstBucket) / step);
  if (bucketCount > MAX_BUCKETS)
    throw invalid('query.interval', `gives ${bucketCount} buckets over this range; at most ${MAX_BUCKETS}`);
  const from = new Date(firstBucket * 1000);
  const to = new Date((firstBucket + bucketCount * step) * 1000);

  const { perBucket, perGroup } = await withAnalyticsTimeout(scope.db, async (tx) => {
    const filters: SQL[] = [
      sql`env_id = ${scope.env.id}::uuid AND grain = ${GRAIN[interval]}`,
      sql`bucket >= ${from.toISOString()}::timestamptz AND bucket < ${to.toISOString()}::timestamptz`,
    ];
    if (query.apiId) filters.push(sql`api = ${query.apiId}`);
    const owned = await ownedApplications(tx, scope, query.applicationId);
    if (owned) filters.push(owned.length === 0 ? sql`false` : inArray(sql`application`, owned));
    const where = and(...filters)!;
    const byBucket = aggregates(await summed(tx, sql`extract(epoch FROM bucket)::bigint`, where), (key) =>
      Math.floor((Number(key) - firstBucket) / step),
    );
    const byGroup = query.groupBy
      ? aggregates(await summed(tx, GROUP_COLUMN[query.groupBy], where), (key) => (key === '' ? null : String(key)))
      : undefined;
    return { perBucket: byBucket, perGroup: byGroup };
  });

  const overall = new Aggregate();
  for (const aggregate of perBucket.values()) {
    overall.total += aggregate.total;
    for (let i = 0; i < 5; i++) overall.classes[i]! += aggregate.classes[i]!;
    mergeInto(overall.histogram, aggregate.histogram);
  }
  // Every bucket of the range, empty ones included, so charts need no gap filling.
  const buckets = Array.from({ length: bucketCount }, (_, i) => ({
    start: new Date((firstBucket + i * step) * 1000).toISOString(),
    ...(perBucket.get(i) ?? new Aggregate()).json(),
  }));
  const groups = perGroup
    ? [...perGroup.entries()]
        .sort(([ka, a], [kb, b]) => b.total - a.total || String(ka).localeCompare(String(kb)))
        .slice(0, MAX_GROUPS)
        .map(([key, aggregate]) => ({ key, ...aggregate.json() }))
    : undefined;
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    interval,
    ...overall.json(),
    buckets,
    ...(groups ? { groupBy: query.groupBy, groups } : {}),
  };
}

/**
 * The applications whose traffic the query may show: undefined for all (staff, no filter), else
 * the ids (a consumer's own, or the one asked for). Someone else's application does not exist for
 * a consumer (404, as everywhere else).
 */
export async function ownedApplications(
  tx: Database,
  scope: EnvScope,
  applicationId: string | undefined,
): Promise<string[] | undefined> {
  const owner = ownOnly(scope);
  if (!owner && !applicationId) return undefined;
  const owned = await tx
    .select({ id: applications.id })
    .from(applications)
    .where(
      and(
        eq(applications.envId, scope.env.id),
        owner ? eq(applications.ownerId, owner) : undefined,
        applicationId ? eq(applications.id, applicationId) : undefined,
      ),
    );
  if (applicationId && owned.length === 0) throw new GatewayError('not_found', { detail: 'No such application.' });
  return owned.map((a) => a.id);
}

/** Runs `fn` in a transaction whose statements give up after ANALYTICS_STATEMENT_TIMEOUT_MS. */
export async function withAnalyticsTimeout<T>(db: Database, fn: (tx: Database) => Promise<T>): Promise<T> {
  try {
    return await inTransaction(db, async (tx) => {
      await tx.execute(sql.raw(`SET LOCAL statement_timeout = ${ANALYTICS_STATEMENT_TIMEOUT_MS}`));
      return fn(tx);
    });
  } catch (error) {
    // 57014: query_canceled (the statement timeout); or no analytics connection free in time.
    if (errorCode(error) === '57014' || /timeout exceeded when trying to connect/.test(String(error)))
      throw new GatewayError('service_unavailable', {
        detail: 'The analytics query took too long; narrow the range or filters.',
      });
    throw error;
  }
}
