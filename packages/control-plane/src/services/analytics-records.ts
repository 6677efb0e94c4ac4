/**
 * Raw drill-down: the stored request records of a time range, newest first, one keyset page at a
 * time (the console opens it from a chart's bucket). The range is bounded (at most MAX_RANGE_MS),
 * so PostgreSQL reads one or two daily partitions through (env_id, time), newest first, and stops at
 * the page size; filters apply along the way. Consumers see their own applications' records only.
 * Runs on the analytics pool under its statement timeout, like the aggregate queries.
 */
import { and, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { EnvScope } from '../auth/context.js';
import { analyticsRequests } from '../db/schema.js';
import { keyset, type PageRequest } from '../http/pagination.js';
import { invalid } from '../http/validation.js';
import { ownedApplications, withAnalyticsTimeout } from './analytics.js';

export const MAX_RANGE_MS = 86_400_000;
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export interface RecordsQuery extends PageRequest {
  from?: string | undefined;
  to?: string | undefined;
  apiId?: string | undefined;
  applicationId?: string | undefined;
  statusClass?: (typeof STATUS_CLASSES)[number] | undefined;
  routePrefix?: string | undefined;
}

// The exact stored time (microseconds), for the cursor and the answer.
const TIME_TEXT = sql<string>`to_char(${analyticsRequests.time} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export async function listAnalyticsRecords(scope: EnvScope, query: RecordsQuery, now = new Date()) {
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - 3_600_000);
  if (from >= to) throw invalid('query.from', 'must be before `to`');
  if (to.getTime() - from.getTime() > MAX_RANGE_MS)
    throw invalid('query.from', 'must be at most 24 h before `to` (drill down from a chart bucket)');
  const plan = keyset(
    { ...query, sort: '-time' },
    { time: { column: analyticsRequests.time, kind: 'timestamp' } },
    analyticsRequests.id,
    '-time',
  );
  return withAnalyticsTimeout(scope.db, async (tx) => {
    const filters: (SQL | undefined)[] = [
      eq(analyticsRequests.envId, scope.env.id),
      gte(analyticsRequests.time, from),
      lt(analyticsRequests.time, to),
      plan.where,
      query.apiId ? eq(analyticsRequests.api, query.apiId) : undefined,
    ];
    const owned = await ownedApplications(tx, scope, query.applicationId);
    if (owned) filters.push(owned.length === 0 ? sql`false` : inArray(analyticsRequests.application, owned));
    if (query.statusClass) {
      const low = Number(query.statusClass[0]) * 100;
      filters.push(sql`${analyticsRequests.status} >= ${low} AND ${analyticsRequests.status} < ${low + 100}`);
    }
    // A prefix compared as such: no LIKE, so `%` and `_` in it are plain characters.
    if (query.routePrefix)
      filters.push(sql`left(${analyticsRequests.route}, ${query.routePrefix.length}) = ${query.routePrefix}`);
    const rows = await tx
      .select({
        id: analyticsRequests.id,
        time: TIME_TEXT,
        gatewayId: analyticsRequests.gatewayId,
        api: analyticsRequests.api,
        plan: analyticsRequests.plan,
        application: analyticsRequests.application,
        subscription: analyticsRequests.subscription,
        method: analyticsRequests.method,
        route: analyticsRequests.route,
        status: analyticsRequests.status,
        latencyMs: analyticsRequests.latencyMs,
        upstreamLatencyMs: analyticsRequests.upstreamLatencyMs,
        bytesIn: analyticsRequests.bytesIn,
        bytesOut: analyticsRequests.bytesOut,
        clientIp: analyticsRequests.clientIp,
        errorCode: analyticsRequests.errorCode,
      })
      .from(analyticsRequests)
      .where(and(...filters))
      .orderBy(...plan.orderBy)
      .limit(plan.limit);
    const page = plan.page(
      rows,
      (r) => r.time,
      (r) => r.id,
    );
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      items: page.items.map((r) => ({
        ...r,
        bytesIn: r.bytesIn === null ? null : Number(r.bytesIn),
        bytesOut: r.bytesOut === null ? null : Number(r.bytesOut),
      })),
      nextCursor: page.nextCursor,
    };
  });
}
