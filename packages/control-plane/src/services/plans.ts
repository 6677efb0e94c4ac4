import { randomUUID } from 'node:crypto';
import type { PolicyRef } from '@gatehouse/config';
import { GatewayError } from '@gatehouse/core';
import { and, eq, inArray, type SQL } from 'drizzle-orm';
import { type EnvScope, ownOnly } from '../auth/context.js';
import type { Database } from '../db/connect.js';
import { plans, subscriptions } from '../db/schema.js';
import { isUniqueViolation } from '../http/errors.js';
import type { IfMatch } from '../http/etag.js';
import { keyset, type SortColumn } from '../http/pagination.js';
import { iso } from '../http/schemas.js';
import { maskSecrets } from '../secrets/fields.js';
import { sealSecrets } from '../secrets/keyring.js';
import { type ApiRow, findApi, stripUndefined } from './apis.js';
import { recordAudit } from './audit.js';
import { inTransaction } from './tx.js';

export type PlanRow = typeof plans.$inferSelect;
export const PLAN_STATUSES = ['staging', 'published', 'deprecated', 'closed'] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

export interface PlanInput {
  id: string;
  name?: string | undefined;
  description?: string | null | undefined;
  security: { type: string; config?: Record<string, unknown> | undefined };
  policies?: Record<string, unknown>[] | undefined;
  approval?: 'auto' | 'manual' | undefined;
  status?: PlanStatus | undefined;
}

/** The staff view of a plan: secrets masked (this view also feeds the audit trail). */
export function planView(row: PlanRow) {
  const masked = maskSecrets(definitionOf(row));
  return {
    id: row.slug,
    name: row.name,
    description: row.description,
    security: masked.security,
    policies: masked.policies as PolicyRef[],
    approval: row.approval as 'auto' | 'manual',
    status: row.status as PlanStatus,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

function definitionOf(row: PlanRow) {
  return { security: { type: row.securityType, config: row.securityConfig }, policies: row.policies };
}

/** What a consumer may know of a plan: name, description and how to authenticate, never configs. */
export function catalogPlanView(row: PlanRow) {
  return {
    id: row.slug,
    name: row.name,
    description: row.description,
    security: { type: row.securityType },
    approval: row.approval as 'auto' | 'manual',
    status: row.status as PlanStatus,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

export function planViewFor(
  scope: EnvScope,
  row: PlanRow,
): ReturnType<typeof catalogPlanView> & Partial<Omit<ReturnType<typeof planView>, 'security'>> {
  return ownOnly(scope) ? catalogPlanView(row) : planView(row);
}

/** Consumers only see plans they could subscribe to. */
function visible(scope: EnvScope): SQL | undefined {
  return ownOnly(scope) ? eq(plans.status, 'published') : undefined;
}

export async function findPlan(scope: EnvScope, api: ApiRow, slug: string, db: Database = scope.db): Promise<PlanRow> {
  const [row] = await db
    .select()
    .from(plans)
    .where(and(eq(plans.apiPk, api.pk), eq(plans.slug, slug), visible(scope)))
    .limit(1);
  if (!row) throw new GatewayError('not_found', { detail: `No plan "${slug}" in API "${api.slug}".` });
  return row;
}

const PLAN_SORTS: Record<string, SortColumn> = { slug: { column: plans.slug, kind: 'text' } };

export async function listPlans(
  scope: EnvScope,
  apiSlug: string,
  query: { limit?: number | undefined; cursor?: string | undefined; status?: PlanStatus | undefined },
) {
  const api = await findApi(scope, apiSlug);
  const plan = keyset(query, PLAN_SORTS, plans.pk, 'slug');
  const rows = await scope.db
    .select()
    .from(plans)
    .where(
      and(
        eq(plans.apiPk, api.pk),
        visible(scope),
        query.status ? eq(plans.status, query.status) : undefined,
        plan.where,
      ),
    )
    .orderBy(...plan.orderBy)
    .limit(plan.limit);
  const page = plan.page(
    rows,
    (r) => r.slug,
    (r) => r.pk,
  );
  return { items: page.items.map((row) => planViewFor(scope, row)), nextCursor: page.nextCursor };
}

export async function createPlan(scope: EnvScope, apiSlug: string, input: PlanInput): Promise<PlanRow> {
  try {
    return await inTransaction(scope.db, async (tx) => {
      const api = await findApi(scope, apiSlug, tx);
      const sealed = sealSecrets({ security: input.security, policies: input.policies }, null);
      const [row] = await tx
        .insert(plans)
        .values({
          pk: randomUUID(),
          apiPk: api.pk,
          slug: input.id,
          name: input.name ?? input.id,
          description: input.description ?? null,
          securityType: sealed.security.type,
          securityConfig: sealed.security.config ?? {},
          policies: sealed.policies ?? [],
          approval: input.approval ?? 'auto',
          status: input.status ?? 'published',
        })
        .returning();
      await recordAudit(tx, scope.actor, {
        envId: scope.env.id,
        action: 'plan.create',
        entityType: 'plan',
        entityId: `${api.slug}/${row!.slug}`,
        after: planView(row!),
      });
      return row!;
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new GatewayError('conflict', { detail: `Plan "${input.id}" exists in this API.` });
    throw error;
  }
}

export async function updatePlan(
  scope: EnvScope,
  apiSlug: string,
  planSlug: string,
  ifMatch: IfMatch,
  patch: Partial<Omit<PlanInput, 'id'>>,
) {
  return inTransaction(scope.db, async (tx) => {
    const api = await findApi(scope, apiSlug, tx);
    const current = await findPlan(scope, api, planSlug, tx);
    ifMatch(current.pk, current.rowVersion);
    const p = sealSecrets(stripUndefined(patch), definitionOf(current));
    const [row] = await tx
      .update(plans)
      .set({
        ...(p.name !== undefined ? { name: p.name } : {}),
        ...(p.description !== undefined ? { description: p.description } : {}),
        ...(p.security !== undefined ? { securityType: p.security.type, securityConfig: p.security.config ?? {} } : {}),
        ...(p.policies !== undefined ? { policies: p.policies } : {}),
        ...(p.approval !== undefined ? { approval: p.approval } : {}),
        ...(p.status !== undefined ? { status: p.status } : {}),
        rowVersion: current.rowVersion + 1,
        updatedAt: new Date(),
      })
      .where(and(eq(plans.pk, current.pk), eq(plans.rowVersion, current.rowVersion)))
      .returning();
    if (!row) throw new GatewayError('precondition_failed');
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'plan.update',
      entityType: 'plan',
      entityId: `${api.slug}/${row.slug}`,
      before: planView(current),
      after: planView(row),
    });
    return row;
  });
}

export async function deletePlan(scope: EnvScope, apiSlug: string, planSlug: string, ifMatch: IfMatch): Promise<void> {
  await inTransaction(scope.db, async (tx) => {
    const api = await findApi(scope, apiSlug, tx);
    const current = await findPlan(scope, api, planSlug, tx);
    ifMatch(current.pk, current.rowVersion);
    const [open] = await tx
      .select({ id: subscriptions.id })
      .from(subscriptions)
      .where(and(eq(subscriptions.planPk, current.pk), inArray(subscriptions.status, ['pending', 'accepted'])))
      .limit(1);
    if (open)
      throw new GatewayError('conflict', {
        detail: 'The plan has open subscriptions; close the plan (status closed) instead.',
      });
    await tx.delete(plans).where(eq(plans.pk, current.pk));
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'plan.delete',
      entityType: 'plan',
      entityId: `${api.slug}/${current.slug}`,
      before: planView(current),
    });
  });
}
