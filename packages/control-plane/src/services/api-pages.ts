/**
 * An API's documentation pages for the developer portal: ordered by `position` (then slug), markdown
 * stored as written (the portal sanitises when it renders). Publishers write them; whoever may read
 * the API (consumers: catalog APIs only, through findApi) may read them.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '@gatehouse/core';
import { and, asc, count, eq, max } from 'drizzle-orm';
import type { EnvScope } from '../auth/context.js';
import type { Database } from '../db/connect.js';
import { apiPages } from '../db/schema.js';
import { isUniqueViolation } from '../http/errors.js';
import type { IfMatch } from '../http/etag.js';
import { iso } from '../http/schemas.js';
import { type ApiRow, findApi } from './apis.js';
import { recordAudit } from './audit.js';
import { inTransaction } from './tx.js';

export type ApiPageRow = typeof apiPages.$inferSelect;
export const MAX_PAGE_MARKDOWN = 200_000;
export const MAX_PAGES_PER_API = 100;

export interface ApiPageInput {
  title: string;
  markdown: string;
  position?: number | undefined;
}

export function apiPageView(row: ApiPageRow) {
  return {
    slug: row.slug,
    title: row.title,
    markdown: row.markdown,
    position: row.position,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

/** The API's pages in reading order. */
export async function pagesOf(db: Database, apiPk: string): Promise<ApiPageRow[]> {
  return db
    .select()
    .from(apiPages)
    .where(eq(apiPages.apiPk, apiPk))
    .orderBy(asc(apiPages.position), asc(apiPages.slug))
    .limit(MAX_PAGES_PER_API);
}

export async function findPageOf(db: Database, api: ApiRow, slug: string): Promise<ApiPageRow> {
  const [row] = await db
    .select()
    .from(apiPages)
    .where(and(eq(apiPages.apiPk, api.pk), eq(apiPages.slug, slug)))
    .limit(1);
  if (!row) throw new GatewayError('not_found', { detail: `No page "${slug}".` });
  return row;
}

export async function listPages(scope: EnvScope, apiSlug: string): Promise<ApiPageRow[]> {
  return pagesOf(scope.db, (await findApi(scope, apiSlug)).pk);
}

export async function getPage(scope: EnvScope, apiSlug: string, slug: string): Promise<ApiPageRow> {
  return findPageOf(scope.db, await findApi(scope, apiSlug), slug);
}

export async function createPage(
  scope: EnvScope,
  apiSlug: string,
  input: ApiPageInput & { slug: string },
): Promise<ApiPageRow> {
  try {
    return await inTransaction(scope.db, async (tx) => {
      const api = await findApi(scope, apiSlug, tx);
      const [last] = await tx
        .select({ position: max(apiPages.position), count: count() })
        .from(apiPages)
        .where(eq(apiPages.apiPk, api.pk));
      if ((last?.count ?? 0) >= MAX_PAGES_PER_API)
        throw new GatewayError('conflict', { detail: `An API has at most ${MAX_PAGES_PER_API} pages.` });
      const [row] = await tx
        .insert(apiPages)
        .values({
          id: randomUUID(),
          apiPk: api.pk,
          slug: input.slug,
          title: input.title,
          markdown: input.markdown,
          position: input.position ?? (last?.position ?? 0) + 1,
        })
        .returning();
      await recordAudit(tx, scope.actor, {
        envId: scope.env.id,
        action: 'api.page.create',
        entityType: 'api-page',
        entityId: `${apiSlug}/${input.slug}`,
        after: apiPageView(row!),
      });
      return row!;
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new GatewayError('conflict', { detail: `Page "${input.slug}" exists for this API.` });
    throw error;
  }
}

/** PUT semantics: title and markdown replaced; position kept when omitted. */
export async function updatePage(
  scope: EnvScope,
  apiSlug: string,
  slug: string,
  ifMatch: IfMatch,
  input: ApiPageInput,
): Promise<ApiPageRow> {
  return inTransaction(scope.db, async (tx) => {
    const current = await findPageOf(tx, await findApi(scope, apiSlug, tx), slug);
    ifMatch(current.id, current.rowVersion);
    const [row] = await tx
      .update(apiPages)
      .set({
        title: input.title,
        markdown: input.markdown,
        position: input.position ?? current.position,
        rowVersion: current.rowVersion + 1,
        updatedAt: new Date(),
      })
      .where(and(eq(apiPages.id, current.id), eq(apiPages.rowVersion, current.rowVersion)))
      .returning();
    if (!row) throw new GatewayError('precondition_failed');
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'api.page.update',
      entityType: 'api-page',
      entityId: `${apiSlug}/${slug}`,
      before: apiPageView(current),
      after: apiPageView(row),
    });
    return row;
  });
}

export async function deletePage(scope: EnvScope, apiSlug: string, slug: string, ifMatch: IfMatch): Promise<void> {
  await inTransaction(scope.db, async (tx) => {
    const current = await findPageOf(tx, await findApi(scope, apiSlug, tx), slug);
    ifMatch(current.id, current.rowVersion);
    await tx.delete(apiPages).where(eq(apiPages.id, current.id));
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'api.page.delete',
      entityType: 'api-page',
      entityId: `${apiSlug}/${slug}`,
      before: apiPageView(current),
    });
  });
}
