import { randomUUID } from 'node:crypto';
import type { PolicyRef, Route, Upstream } from '@gatehouse/config';
import { GatewayError } from '@gatehouse/core';
import { and, arrayContains, desc, eq, ilike, inArray, max, or, type SQL } from 'drizzle-orm';
import { type EnvScope, ownOnly } from '../auth/context.js';
import type { Database } from '../db/connect.js';
import { apis, deployments, plans, subscriptions } from '../db/schema.js';
import { isUniqueViolation } from '../http/errors.js';
import type { IfMatch } from '../http/etag.js';
import { keyset, type PageRequest } from '../http/pagination.js';
import { iso } from '../http/schemas.js';
import { recordChanges } from '../hybrid/changes.js';
import { maskSecrets } from '../secrets/fields.js';
import { sealSecrets } from '../secrets/keyring.js';
import { recordAudit } from './audit.js';
import { assertLifecycleTransition } from './lifecycle.js';
import { inTransaction } from './tx.js';
import { escapeLike } from './users.js';

export type ApiRow = typeof apis.$inferSelect;
export const LIFECYCLES = ['draft', 'published', 'deprecated', 'retired'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

/** Fields a client may set on an API (the config document's API entry plus management metadata). */
export interface ApiInput {
  id: string;
  name: string;
  description?: string | null | undefined;
  version?: string | null | undefined;
  basePath: string;
  stripBasePath?: boolean | null | undefined;
  hosts?: string[] | null | undefined;
  upstream: Record<string, unknown>;
  policies?: Record<string, unknown>[] | undefined;
  routes?: Record<string, unknown>[] | null | undefined;
  tags?: string[] | undefined;
  categories?: string[] | undefined;
  shardingTags?: string[] | undefined;
  lifecycle?: Lifecycle | undefined;
  visibility?: 'public' | 'private' | undefined;
  openapi?: Record<string, unknown> | null | undefined;
}

/** The staff view of an API: every field, secrets masked (this view also feeds the audit trail). */
export function apiView(row: ApiRow, deployedRevision: number | null, options: { withOpenapi?: boolean } = {}) {
  const masked = maskSecrets({ policies: row.policies, routes: row.routes });
  return {
    id: row.slug,
    name: row.name,
    description: row.description,
    version: row.version,
    basePath: row.basePath,
    stripBasePath: row.stripBasePath,
    hosts: row.hosts,
    upstream: row.upstream as Upstream,
    policies: masked.policies as PolicyRef[],
    routes: masked.routes as Route[] | null,
    tags: row.tags,
    categories: row.categories,
    shardingTags: row.shardingTags,
    lifecycle: row.lifecycle as Lifecycle,
    visibility: row.visibility as 'public' | 'private',
    ...(options.withOpenapi ? { openapi: row.openapi } : {}),
    hasOpenapi: row.openapi !== null,
    deployedRevision,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}
export type ApiView = ReturnType<typeof apiView>;

/** What a consumer may know of an API: the catalog entry, never targets, policies or routes. */
export function catalogApiView(row: ApiRow, deployedRevision: number | null) {
  return {
    id: row.slug,
    name: row.name,
    description: row.description,
    version: row.version,
    basePath: row.basePath,
    stripBasePath: row.stripBasePath,
    hosts: row.hosts,
    tags: row.tags,
    categories: row.categories,
    lifecycle: row.lifecycle as Lifecycle,
    visibility: row.visibility as 'public' | 'private',
    hasOpenapi: row.openapi !== null,
    deployedRevision,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

/** The view of an API for the caller's role: the catalog for consumers, the staff view otherwise. */
export function apiViewFor(
  scope: EnvScope,
  row: ApiRow,
  deployedRevision: number | null,
  options: { withOpenapi?: boolean } = {},
): Partial<ApiView> & ReturnType<typeof catalogApiView> {
  return ownOnly(scope) ? catalogApiView(row, deployedRevision) : apiView(row, deployedRevision, options);
}

/** Consumers browse a catalog: published (or deprecated) public APIs only. */
function catalogFilter(scope: EnvScope): SQL | undefined {
  if (!ownOnly(scope)) return undefined;
  return and(eq(apis.visibility, 'public'), inArray(apis.lifecycle, ['published', 'deprecated']));
}

/** Finds an API of the scope's environment the caller may see; anything else is 404. */
export async function findApi(scope: EnvScope, slug: string, db: Database = scope.db): Promise<ApiRow> {
  const [row] = await db
    .select()
    .from(apis)
    .where(and(eq(apis.envId, scope.env.id), eq(apis.slug, slug), catalogFilter(scope)))
    .limit(1);
  if (!row) throw new GatewayError('not_found', { detail: `No API "${slug}".` });
  return row;
}

export async function deployedRevisions(db: Database, apiPks: string[]): Promise<Map<string, number>> {
  if (apiPks.length === 0) return new Map();
  const rows = await db
    .select({ apiPk: deployments.apiPk, revision: max(deployments.revision) })
    .from(deployments)
    .where(inArray(deployments.apiPk, apiPks))
    .groupBy(deployments.apiPk);
  return new Map(rows.map((r) => [r.apiPk, Number(r.revision)]));
}

export async function listApis(
  scope: EnvScope,
  query: PageRequest & { q?: string | undefined; lifecycle?: Lifecycle | undefined; tag?: string | undefined },
) {
  const plan = keyset(
    query,
    {
      name: { column: apis.name, kind: 'text' },
      id: { column: apis.slug, kind: 'text' },
      createdAt: { column: apis.createdAt, kind: 'date' },
      updatedAt: { column: apis.updatedAt, kind: 'date' },
    },
    apis.pk,
    'name',
  );
  const filters: (SQL | undefined)[] = [eq(apis.envId, scope.env.id), catalogFilter(scope), plan.where];
  if (query.q) {
    const like = `%${escapeLike(query.q)}%`;
    filters.push(or(ilike(apis.name, like), ilike(apis.slug, like), ilike(apis.basePath, like)));
  }
  if (query.lifecycle) filters.push(eq(apis.lifecycle, query.lifecycle));
  if (query.tag) filters.push(arrayContains(apis.tags, [query.tag]));
  const rows = await scope.db
    .select()
    .from(apis)
    .where(and(...filters))
    .orderBy(...plan.orderBy)
    .limit(plan.limit);
  const key = (query.sort ?? 'name').replace('-', '') as 'name' | 'id' | 'createdAt' | 'updatedAt';
  const page = plan.page(
    rows,
    (r) => (key === 'id' ? r.slug : key === 'name' ? r.name : r[key]),
    (r) => r.pk,
  );
  const revisions = await deployedRevisions(
    scope.db,
    page.items.map((r) => r.pk),
  );
  return {
    items: page.items.map((r) => apiViewFor(scope, r, revisions.get(r.pk) ?? null)),
    nextCursor: page.nextCursor,
  };
}

function columnsOf(input: Omit<ApiInput, 'id'>) {
  return {
    name: input.name,
    description: input.description ?? null,
    version: input.version ?? null,
    basePath: input.basePath,
    stripBasePath: input.stripBasePath ?? null,
    hosts: input.hosts ?? null,
    upstream: input.upstream,
    policies: input.policies ?? [],
    routes: input.routes ?? null,
    tags: input.tags ?? [],
    categories: input.categories ?? [],
    shardingTags: input.shardingTags ?? [],
    lifecycle: input.lifecycle ?? 'draft',
    visibility: input.visibility ?? 'private',
    openapi: input.openapi ?? null,
  };
}

export async function createApi(scope: EnvScope, input: ApiInput, action = 'api.create'): Promise<ApiRow> {
  try {
    return await inTransaction(scope.db, async (tx) => {
      const [row] = await tx
        .insert(apis)
        .values({
          pk: randomUUID(),
          envId: scope.env.id,
          slug: input.id,
          createdBy: scope.actor.userId,
          ...columnsOf(sealSecrets(input, null)),
        })
        .returning();
      await recordAudit(tx, scope.actor, {
        envId: scope.env.id,
        action,
        entityType: 'api',
        entityId: row!.slug,
        after: apiView(row!, null),
      });
      return row!;
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new GatewayError('conflict', { detail: `API "${input.id}" exists in this environment.` });
    throw error;
  }
}

/** PATCH semantics: fields present replace the stored ones; null clears optional fields. */
export async function updateApi(scope: EnvScope, slug: string, ifMatch: IfMatch, patch: Partial<Omit<ApiInput, 'id'>>) {
  return inTransaction(scope.db, async (tx) => {
    const current = await findApi(scope, slug, tx);
    ifMatch(current.pk, current.rowVersion);
    if (patch.lifecycle) assertLifecycleTransition(current.lifecycle as Lifecycle, patch.lifecycle);
    const merged = columnsOf({ ...fromRow(current), ...sealSecrets(stripUndefined(patch), fromRow(current)) });
    const [row] = await tx
      .update(apis)
      .set({ ...merged, rowVersion: current.rowVersion + 1, updatedAt: new Date() })
      .where(and(eq(apis.pk, current.pk), eq(apis.rowVersion, current.rowVersion)))
      .returning();
    if (!row) throw new GatewayError('precondition_failed');
    const revisions = await deployedRevisions(tx, [row.pk]);
    const rev = revisions.get(row.pk) ?? null;
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'api.update',
      entityType: 'api',
      entityId: slug,
      before: apiView(current, rev, { withOpenapi: true }),
      after: apiView(row, rev, { withOpenapi: true }),
    });
    return { row, deployedRevision: rev };
  });
}

export async function deleteApi(scope: EnvScope, slug: string, ifMatch: IfMatch): Promise<void> {
  await inTransaction(scope.db, async (tx) => {
    const current = await findApi(scope, slug, tx);
    ifMatch(current.pk, current.rowVersion);
    const [open] = await tx
      .select({ id: subscriptions.id })
      .from(subscriptions)
      .where(and(eq(subscriptions.apiPk, current.pk), inArray(subscriptions.status, ['pending', 'accepted'])))
      .limit(1);
    if (open)
      throw new GatewayError('conflict', {
        detail: 'The API has open subscriptions; close them (or retire the API) first.',
      });
    const [deployed] = await tx
      .select({ snapshot: deployments.snapshot })
      .from(deployments)
      .where(eq(deployments.apiPk, current.pk))
      .orderBy(desc(deployments.revision))
      .limit(1);
    await tx.delete(apis).where(eq(apis.pk, current.pk));
    // Its deployments go with it: gateways serving it must drop it.
    if (deployed) {
      const apiTags = (deployed.snapshot as unknown as ApiSnapshot).shardingTags ?? [];
      await recordChanges(tx, scope.env.id, [{ kind: 'definition', apiTags, apiPk: current.pk, apiRevision: null }]);
    }
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'api.delete',
      entityType: 'api',
      entityId: slug,
      before: apiView(current, null),
    });
  });
}

function fromRow(row: ApiRow): Omit<ApiInput, 'id'> {
  return {
    name: row.name,
    description: row.description,
    version: row.version,
    basePath: row.basePath,
    stripBasePath: row.stripBasePath,
    hosts: row.hosts,
    upstream: row.upstream,
    policies: row.policies,
    routes: row.routes,
    tags: row.tags,
    categories: row.categories,
    shardingTags: row.shardingTags,
    lifecycle: row.lifecycle as Lifecycle,
    visibility: row.visibility as 'public' | 'private',
    openapi: row.openapi,
  };
}

export function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The API's full current definition (with every plan), as a deployment stores it. */
export async function snapshotOf(db: Database, row: ApiRow) {
  const planRows = await db.select().from(plans).where(eq(plans.apiPk, row.pk)).orderBy(plans.slug);
  // Portal metadata is not gateway configuration: changing it needs no deployment.
  const { categories: _categories, ...definition } = fromRow(row);
  return {
    ...definition,
    id: row.slug,
    openapi: row.openapi,
    plans: planRows.map((p) => ({
      id: p.slug,
      name: p.name,
      security: { type: p.securityType, config: p.securityConfig },
      policies: p.policies,
      status: p.status,
    })),
  };
}
export type ApiSnapshot = Awaited<ReturnType<typeof snapshotOf>>;
