import { randomUUID } from 'node:crypto';
import { GatewayError } from '@gatehouse/core';
import { and, eq, max } from 'drizzle-orm';
import type { EnvScope } from '../auth/context.js';
import { apiFromSnapshot, InvalidCompiledDocument } from '../compiler/compile.js';
import { checkEnvironmentConfig } from '../compiler/config-check.js';
import { deployments } from '../db/schema.js';
import { isUniqueViolation } from '../http/errors.js';
import { keyset, type SortColumn } from '../http/pagination.js';
import { iso } from '../http/schemas.js';
import { assertGatewaysSupport } from '../hybrid/capabilities.js';
import { recordChanges } from '../hybrid/changes.js';
import { type Rollout, rolloutsOf } from '../hybrid/rollout.js';
import { maskSecrets } from '../secrets/fields.js';
import { type ApiSnapshot, findApi, type Lifecycle, snapshotOf } from './apis.js';
import { recordAudit } from './audit.js';
import { assertDeployable, closeSubscriptionsOfRetired } from './lifecycle.js';
import { restoreDefinition, rollbackSnapshot } from './rollback.js';
import { inTransaction } from './tx.js';

type DeploymentRow = typeof deployments.$inferSelect;

const NO_ROLLOUT: Rollout = { applied: 0, total: 0, gateways: [] };

export function deploymentView(row: DeploymentRow, current: number | null, rollout: Rollout = NO_ROLLOUT) {
  return {
    revision: row.revision,
    author: { id: row.authorId, email: row.authorEmail },
    message: row.message,
    rollbackOf: row.rollbackOf,
    current: row.revision === current,
    rollout,
    createdAt: iso(row.createdAt)!,
  };
}

function shardingTagsOf(row: DeploymentRow): string[] {
  return (row.snapshot as unknown as ApiSnapshot).shardingTags ?? [];
}

/**
 * Tags reaching every gateway that served the API before or serves it now. Untagged (served by
 * every gateway) on either side means every gateway: the empty list.
 */
export function affectedTags(before: string[] | null, after: string[] | undefined): string[] {
  const now = after ?? [];
  if (before?.length === 0 || now.length === 0) return [];
  return [...new Set([...(before ?? []), ...now])];
}

/** Rollout of each given deployment among the gateways serving its API. */
export async function withRollouts(scope: EnvScope, apiSlug: string, rows: DeploymentRow[]) {
  return rolloutsOf(
    scope.db,
    scope.env.id,
    apiSlug,
    rows.map((r) => ({ revision: r.revision, shardingTags: shardingTagsOf(r) })),
  );
}

/**
 * Deploys the API's current definition (or, with `revision`, an older deployed snapshot) as a new
 * revision. The whole environment is compiled with the candidate first, so a deployment that would
 * give gateways an invalid document (clashing base path, no servable plan) is refused, and so is
 * one using a policy or security type that a gateway serving the API has not reported.
 */
export async function deploy(
  scope: EnvScope,
  apiSlug: string,
  input: { revision?: number | undefined; message?: string | undefined },
) {
  try {
    return await inTransaction(scope.db, async (tx) => {
      const api = await findApi(scope, apiSlug, tx);
      assertDeployable(api.lifecycle as Lifecycle);
      const [top] = await tx
        .select({ revision: max(deployments.revision) })
        .from(deployments)
        .where(eq(deployments.apiPk, api.pk));
      const next = (top?.revision ?? 0) + 1;
      let snapshot: ApiSnapshot;
      if (input.revision !== undefined) {
        const [old] = await tx
          .select()
          .from(deployments)
          .where(and(eq(deployments.apiPk, api.pk), eq(deployments.revision, input.revision)))
          .limit(1);
        if (!old)
          throw new GatewayError('not_found', { detail: `API "${apiSlug}" has no revision ${input.revision}.` });
        snapshot = rollbackSnapshot(old.snapshot as unknown as ApiSnapshot, api);
      } else {
        snapshot = await snapshotOf(tx, api);
        if (
          snapshot.lifecycle !== 'retired' &&
          !snapshot.plans.some((p) => p.status === 'published' || p.status === 'deprecated')
        ) {
          throw new GatewayError('not_deployable', {
            detail: 'The API needs at least one published or deprecated plan.',
          });
        }
      }
      try {
        await checkEnvironmentConfig(tx, scope.env.id, {
          candidate: { apiPk: api.pk, snapshot, revision: next },
          definitionOnly: true,
        });
      } catch (error) {
        if (!(error instanceof InvalidCompiledDocument)) throw error;
        throw new GatewayError('not_deployable', {
          detail: 'Deploying this definition would make the environment configuration invalid.',
          errors: error.problems.map((p) => ({ path: p.path, message: p.message })),
        });
      }
      const compiled = apiFromSnapshot(snapshot, next);
      if (compiled) await assertGatewaysSupport(tx, scope.env.id, compiled);
      const [previous] = top?.revision
        ? await tx
            .select()
            .from(deployments)
            .where(and(eq(deployments.apiPk, api.pk), eq(deployments.revision, top.revision)))
            .limit(1)
        : [];
      const [row] = await tx
        .insert(deployments)
        .values({
          id: randomUUID(),
          apiPk: api.pk,
          revision: next,
          snapshot: snapshot as unknown as Record<string, unknown>,
          authorId: scope.actor.userId,
          authorEmail: scope.actor.email,
          message: input.message ?? null,
          rollbackOf: input.revision ?? null,
        })
        .returning();
      if (input.revision !== undefined)
        await restoreDefinition(tx, scope, api, snapshot, { rollbackOf: input.revision, revision: next });
      if (snapshot.lifecycle === 'retired') await closeSubscriptionsOfRetired(tx, scope, api);
      await recordChanges(tx, scope.env.id, [
        {
          kind: 'definition',
          apiTags: affectedTags(previous ? shardingTagsOf(previous) : null, snapshot.shardingTags),
          apiPk: api.pk,
          apiRevision: next,
        },
      ]);
      await recordAudit(tx, scope.actor, {
        envId: scope.env.id,
        action: input.revision !== undefined ? 'api.rollback' : 'api.deploy',
        entityType: 'api',
        entityId: api.slug,
        after: { revision: next, ...(input.revision !== undefined ? { rollbackOf: input.revision } : {}) },
      });
      return row!;
    });
  } catch (error) {
    // Two deployments raced for the same revision number: the loser retries.
    if (isUniqueViolation(error))
      throw new GatewayError('conflict', {
        detail: 'Another deployment of this API happened at the same time; retry.',
      });
    throw error;
  }
}

const DEPLOYMENT_SORTS: Record<string, SortColumn> = { revision: { column: deployments.revision, kind: 'number' } };

export async function listDeployments(
  scope: EnvScope,
  apiSlug: string,
  query: { limit?: number | undefined; cursor?: string | undefined },
) {
  const api = await findApi(scope, apiSlug);
  const plan = keyset(query, DEPLOYMENT_SORTS, deployments.id, '-revision');
  const rows = await scope.db
    .select()
    .from(deployments)
    .where(and(eq(deployments.apiPk, api.pk), plan.where))
    .orderBy(...plan.orderBy)
    .limit(plan.limit);
  const [top] = await scope.db
    .select({ revision: max(deployments.revision) })
    .from(deployments)
    .where(eq(deployments.apiPk, api.pk));
  const current = top?.revision ?? null;
  const page = plan.page(
    rows,
    (r) => r.revision,
    (r) => r.id,
  );
  const rollouts = await withRollouts(scope, api.slug, page.items);
  return {
    items: page.items.map((r) => deploymentView(r, current, rollouts.get(r.revision))),
    nextCursor: page.nextCursor,
  };
}

export async function getDeployment(scope: EnvScope, apiSlug: string, revision: number) {
  const api = await findApi(scope, apiSlug);
  const [row] = await scope.db
    .select()
    .from(deployments)
    .where(and(eq(deployments.apiPk, api.pk), eq(deployments.revision, revision)))
    .limit(1);
  if (!row) throw new GatewayError('not_found', { detail: `No revision ${revision}.` });
  const [top] = await scope.db
    .select({ revision: max(deployments.revision) })
    .from(deployments)
    .where(eq(deployments.apiPk, api.pk));
  const rollouts = await withRollouts(scope, api.slug, [row]);
  return {
    ...deploymentView(row, top?.revision ?? null, rollouts.get(row.revision)),
    definition: maskSecrets(row.snapshot),
  };
}
