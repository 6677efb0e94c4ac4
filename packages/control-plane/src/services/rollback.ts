/**
 * A rollback ships an older revision; it must also bring the editable definition back to that
 * revision, or the next plain deploy would silently re-ship the change that was rolled back.
 */
import { and, eq } from 'drizzle-orm';
import type { EnvScope } from '../auth/context.js';
import type { Database } from '../db/connect.js';
import { apis, plans } from '../db/schema.js';
import { type ApiRow, type ApiSnapshot, apiView } from './apis.js';
import { recordAudit } from './audit.js';

/**
 * The revision being rolled back to, with the API's current lifecycle and visibility: those are
 * management state moved by explicit transitions, not part of a revision (rolling back a retired API
 * must not bring it back to gateways).
 */
export function rollbackSnapshot(old: ApiSnapshot, current: ApiRow): ApiSnapshot {
  return {
    ...old,
    lifecycle: current.lifecycle as ApiSnapshot['lifecycle'],
    visibility: current.visibility as 'public' | 'private',
  };
}

/**
 * Writes the snapshot's API fields back to the API, and each snapshot plan's name, security and
 * policies back to the plan of the same id when it still exists. Plan status and plans added since
 * are left alone: closing or adding a plan concerns subscribers, not the definition.
 */
export async function restoreDefinition(
  tx: Database,
  scope: EnvScope,
  current: ApiRow,
  snapshot: ApiSnapshot,
  revisions: { rollbackOf: number; revision: number },
): Promise<void> {
  const [row] = await tx
    .update(apis)
    .set({
      name: snapshot.name,
      description: snapshot.description ?? null,
      version: snapshot.version ?? null,
      basePath: snapshot.basePath,
      stripBasePath: snapshot.stripBasePath ?? null,
      hosts: snapshot.hosts ?? null,
      upstream: snapshot.upstream,
      policies: snapshot.policies ?? [],
      routes: snapshot.routes ?? null,
      tags: snapshot.tags ?? [],
      shardingTags: snapshot.shardingTags ?? [],
      openapi: snapshot.openapi ?? null,
      rowVersion: current.rowVersion + 1,
      updatedAt: new Date(),
    })
    .where(eq(apis.pk, current.pk))
    .returning();
  const planBefore: Record<string, unknown>[] = [];
  const planAfter: Record<string, unknown>[] = [];
  for (const plan of snapshot.plans) {
    const [before] = await tx
      .select()
      .from(plans)
      .where(and(eq(plans.apiPk, current.pk), eq(plans.slug, plan.id)))
      .limit(1);
    if (!before) continue;
    await tx
      .update(plans)
      .set({
        name: plan.name,
        securityType: plan.security.type,
        securityConfig: plan.security.config,
        policies: plan.policies,
        rowVersion: before.rowVersion + 1,
        updatedAt: new Date(),
      })
      .where(eq(plans.pk, before.pk));
    // Security configs stay out of the audit: they may carry secrets.
    planBefore.push({
      id: before.slug,
      name: before.name,
      securityType: before.securityType,
      policies: before.policies,
    });
    planAfter.push({ id: plan.id, name: plan.name, securityType: plan.security.type, policies: plan.policies });
  }
  await recordAudit(tx, scope.actor, {
    envId: scope.env.id,
    action: 'api.restore',
    entityType: 'api',
    entityId: current.slug,
    before: { ...apiView(current, null, { withOpenapi: true }), plans: planBefore },
    after: { ...apiView(row!, revisions.revision, { withOpenapi: true }), plans: planAfter, ...revisions },
  });
}
