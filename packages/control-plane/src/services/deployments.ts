import { randomUUID } from 'node:crypto';
import { GatewayError } from '@gatehouse/core';
import { and, desc, eq, lt, max } from 'drizzle-orm';
import type { EnvScope } from '../auth/context.js';
import { compileEnvironmentConfig, InvalidCompiledDocument } from '../compiler/compile.js';
import { deployments } from '../db/schema.js';
import { isUniqueViolation } from '../http/errors.js';
import { iso } from '../http/schemas.js';
import { type ApiSnapshot, findApi, snapshotOf } from './apis.js';
import { recordAudit } from './audit.js';
import { inTransaction } from './tx.js';

type DeploymentRow = typeof deployments.$inferSelect;

export function deploymentView(row: DeploymentRow, current: number | null) {
  return {
    revision: row.revision,
    author: { id: row.authorId, email: row.authorEmail },
    message: row.message,
    rollbackOf: row.rollbackOf,
    current: row.revision === current,
    createdAt: iso(row.createdAt)!,
  };
}

/**
 * Deploys the API's current definition (or, with `revision`, an older deployed snapshot) as a new
 * revision. The whole environment is compiled with the candidate first, so a deployment that would
 * give gateways an invalid document (clashing base path, no servable plan) is refused.
 */
export async function deploy(
  scope: EnvScope,
  apiSlug: string,
  input: { revision?: number | undefined; message?: string | undefined },
) {
  try {
    return await inTransaction(scope.db, async (tx) => {
      const api = await findApi(scope, apiSlug, tx);
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
        snapshot = old.snapshot as unknown as ApiSnapshot;
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
        await compileEnvironmentConfig(tx, scope.env.id, { candidate: { apiPk: api.pk, snapshot, revision: next } });
      } catch (error) {
        if (!(error instanceof InvalidCompiledDocument)) throw error;
        throw new GatewayError('not_deployable', {
          detail: 'Deploying this definition would make the environment configuration invalid.',
          errors: error.problems.map((p) => ({ path: p.path, message: p.message })),
        });
      }
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

export async function listDeployments(
  scope: EnvScope,
  apiSlug: string,
  query: { limit?: number | undefined; cursor?: string | undefined },
) {
  const api = await findApi(scope, apiSlug);
  const limit = Math.min(query.limit ?? 20, 100);
  const before = query.cursor ? Number(Buffer.from(query.cursor, 'base64url').toString('utf8')) : undefined;
  const rows = await scope.db
    .select()
    .from(deployments)
    .where(
      and(
        eq(deployments.apiPk, api.pk),
        before !== undefined && Number.isInteger(before) ? lt(deployments.revision, before) : undefined,
      ),
    )
    .orderBy(desc(deployments.revision))
    .limit(limit + 1);
  const [top] = await scope.db
    .select({ revision: max(deployments.revision) })
    .from(deployments)
    .where(eq(deployments.apiPk, api.pk));
  const current = top?.revision ?? null;
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map((r) => deploymentView(r, current)),
    nextCursor: rows.length > limit && last ? Buffer.from(String(last.revision)).toString('base64url') : null,
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
  return { ...deploymentView(row, top?.revision ?? null), definition: row.snapshot };
}
