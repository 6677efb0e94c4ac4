/**
 * One application's usage for its owner (the portal's "usage" view): requests, errors and latency
 * per API over a range, and for each subscription whose plan has a quota, how much of the current
 * quota period is used. The quota figures come from analytics (what gateways reported), not from
 * the gateways' counters: approximate (reports arrive in batches; a quota keyed on something other
 * than the subscription counts differently), and said so in the answer.
 */
import { checkPolicyRef, createPeriodCalculator, type QuotaPeriod } from '@gatehouse/policies/catalog';
import { and, eq, gte, lt, ne, or, type SQL, sql } from 'drizzle-orm';
import type { EnvScope } from '../auth/context.js';
import { rowsOf } from '../db/connect.js';
import { analyticsRequests, apis, plans, subscriptions } from '../db/schema.js';
import { invalid } from '../http/validation.js';
import { findApplication } from './applications.js';

const DAY_MS = 86_400_000;
const MAX_RANGE_MS = 400 * DAY_MS;

interface QuotaConfig {
  limit: number;
  period: QuotaPeriod;
  timeZone: string;
  weekStart: 'monday' | 'sunday';
}

/** The first enabled, valid quota policy of a plan (with defaults filled), if any. */
export function planQuota(policies: unknown): QuotaConfig | null {
  if (!Array.isArray(policies)) return null;
  for (const [index, ref] of policies.entries()) {
    if ((ref as { policy?: unknown })?.policy !== 'quota') continue;
    const checked = checkPolicyRef(ref, `policies[${index}]`, 'plan');
    if (checked.contract && checked.config) return checked.config as QuotaConfig;
  }
  return null;
}

type PerApiRow = {
  api: string | null;
  total: number;
  errors: number;
  p50: number | string | null;
  p95: number | string | null;
};
const ms = (v: number | string | null) => (v === null ? null : Math.round(Number(v) * 1000) / 1000);

export async function applicationUsage(
  scope: EnvScope,
  appId: string,
  query: { from?: string | undefined; to?: string | undefined },
  now = new Date(),
) {
  // Someone else's application is not found (consumers own theirs; see findApplication).
  const app = await findApplication(scope, appId);
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * DAY_MS);
  if (from >= to) throw invalid('query.from', 'must be before `to`');
  if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw invalid('query.from', 'range is at most 400 days');

  const where = and(
    eq(analyticsRequests.envId, scope.env.id),
    eq(analyticsRequests.application, app.id),
    gte(analyticsRequests.time, from),
    lt(analyticsRequests.time, to),
  );
  const perApi = rowsOf<PerApiRow>(
    await scope.db.execute(
      sql`SELECT api, count(*)::int AS total, count(*) FILTER (WHERE status >= 400)::int AS errors,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95
          FROM ${analyticsRequests} WHERE ${where} GROUP BY api ORDER BY 2 DESC, 1 LIMIT 100`,
    ),
  );

  const subs = await scope.db
    .select({
      id: subscriptions.id,
      status: subscriptions.status,
      api: apis.slug,
      plan: plans.slug,
      policies: plans.policies,
    })
    .from(subscriptions)
    .innerJoin(apis, eq(apis.pk, subscriptions.apiPk))
    .innerJoin(plans, eq(plans.pk, subscriptions.planPk))
    .where(and(eq(subscriptions.applicationId, app.id), eq(subscriptions.envId, scope.env.id)))
    .orderBy(apis.slug, plans.slug)
    .limit(200);

  const subscriptionUsage = [];
  for (const sub of subs) {
    const quota = sub.status === 'accepted' ? planQuota(sub.policies) : null;
    let quotaView = null;
    if (quota) {
      const bounds = createPeriodCalculator(quota.period, quota.timeZone, quota.weekStart)(now.getTime());
      // Requests the quota itself refused did not use it up.
      const refused: SQL = or(
        sql`${analyticsRequests.errorCode} IS NULL`,
        ne(analyticsRequests.errorCode, 'quota_exceeded'),
      )!;
      const [row] = rowsOf<{ used: number }>(
        await scope.db.execute(
          sql`SELECT count(*)::int AS used FROM ${analyticsRequests}
              WHERE ${and(
                eq(analyticsRequests.envId, scope.env.id),
                eq(analyticsRequests.subscription, sub.id),
                gte(analyticsRequests.time, new Date(bounds.startMs)),
                lt(analyticsRequests.time, new Date(bounds.endMs)),
                refused,
              )}`,
        ),
      );
      const used = Number(row?.used ?? 0);
      quotaView = {
        limit: quota.limit,
        period: quota.period,
        used,
        remaining: Math.max(0, quota.limit - used),
        resetsAt: new Date(bounds.endMs).toISOString(),
        approximate: true,
      };
    }
    subscriptionUsage.push({ id: sub.id, apiId: sub.api, planId: sub.plan, status: sub.status, quota: quotaView });
  }

  return {
    applicationId: app.id,
    from: from.toISOString(),
    to: to.toISOString(),
    apis: perApi.map((r) => ({
      apiId: r.api,
      requests: Number(r.total),
      errors: Number(r.errors),
      latency: { p50: ms(r.p50), p95: ms(r.p95) },
    })),
    subscriptions: subscriptionUsage,
  };
}
