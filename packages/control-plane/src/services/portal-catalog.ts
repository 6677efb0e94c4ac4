/**
 * The developer portal's public reads (no login). One rule decides what an anonymous visitor may
 * see, and every read goes through it: the environment's portal is enabled, and the API is public
 * and published (or deprecated). Anything else answers exactly as a name that does not exist, so
 * the portal does not reveal drafts, private APIs or disabled environments.
 */

import { GatewayError } from '@gatehouse/core';
import { describePlan } from '@gatehouse/policies/catalog';
import { and, arrayContains, asc, eq, ilike, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { apis, environments, plans, portalSettings } from '../db/schema.js';
import { keyset, type PageRequest } from '../http/pagination.js';
import { findPageOf, pagesOf } from './api-pages.js';
import type { ApiRow, Lifecycle } from './apis.js';
import { DEFAULT_SETTINGS, type PortalSettingsRow } from './portal-settings.js';
import { escapeLike } from './users.js';

export interface PortalEnv {
  id: string;
  slug: string;
  name: string;
  settings: PortalSettingsRow;
}

const noPortal = (slug: string) => new GatewayError('not_found', { detail: `No portal "${slug}".` });
const noApi = (slug: string) => new GatewayError('not_found', { detail: `No API "${slug}".` });

/** Environments whose portal is on, oldest first (the first is the portal's default). */
export async function portalEnvironments(db: Database, orgId: string) {
  const rows = await db
    .select({ slug: environments.slug, name: environments.name, portalName: portalSettings.name })
    .from(environments)
    .innerJoin(portalSettings, eq(portalSettings.envId, environments.id))
    .where(and(eq(environments.orgId, orgId), eq(portalSettings.enabled, true)))
    .orderBy(asc(environments.createdAt), asc(environments.slug))
    .limit(100);
  return { items: rows.map((r) => ({ slug: r.slug, name: r.portalName ?? r.name })) };
}

export async function findPortalEnv(db: Database, orgId: string, slug: string): Promise<PortalEnv> {
  const [row] = await db
    .select({ id: environments.id, slug: environments.slug, name: environments.name, settings: portalSettings })
    .from(environments)
    .innerJoin(portalSettings, eq(portalSettings.envId, environments.id))
    .where(and(eq(environments.orgId, orgId), eq(environments.slug, slug), eq(portalSettings.enabled, true)))
    .limit(1);
  if (!row) throw noPortal(slug);
  return row;
}

/** Whether the control plane can send mail (sign-up verification); see docs/portal.md. */
export function emailConfigured(): boolean {
  return Boolean(process.env.GATEHOUSE_SMTP_URL);
}

export function publicSettings(env: PortalEnv) {
  const s = env.settings;
  return {
    name: s.name ?? env.name,
    logo: s.logo,
    primaryColor: s.primaryColor ?? DEFAULT_SETTINGS.primaryColor,
    homeMarkdown: s.homeMarkdown,
    signup: s.signup,
    tryItBaseUrl: s.tryItBaseUrl,
    emailConfigured: emailConfigured(),
  };
}

/** The one visibility rule of the portal. */
const listed = (env: PortalEnv): SQL =>
  and(eq(apis.envId, env.id), eq(apis.visibility, 'public'), inArray(apis.lifecycle, ['published', 'deprecated']))!;

function summary(row: ApiRow) {
  return {
    slug: row.slug,
    name: row.name,
    description: row.description,
    version: row.version,
    tags: row.tags,
    categories: row.categories,
    basePath: row.basePath,
    lifecycle: row.lifecycle as Lifecycle,
  };
}

export interface CatalogQuery extends PageRequest {
  q?: string | undefined;
  tag?: string | undefined;
  category?: string | undefined;
}

/** Search (q: substring of name, description or a tag; case-insensitive, wildcards literal), filters, keyset pages by name. */
export async function listCatalog(db: Database, env: PortalEnv, query: CatalogQuery) {
  const plan = keyset({ ...query, sort: 'name' }, { name: { column: apis.name, kind: 'text' } }, apis.pk, 'name');
  const filters: (SQL | undefined)[] = [listed(env), plan.where];
  if (query.q) {
    const like = `%${escapeLike(query.q)}%`;
    filters.push(
      or(
        ilike(apis.name, like),
        ilike(apis.description, like),
        sql`EXISTS (SELECT 1 FROM jsonb_array_elements_text(${apis.tags}) AS t(tag) WHERE t.tag ILIKE ${like})`,
      ),
    );
  }
  if (query.tag) filters.push(arrayContains(apis.tags, [query.tag]));
  if (query.category) filters.push(arrayContains(apis.categories, [query.category]));
  const rows = await db
    .select()
    .from(apis)
    .where(and(...filters))
    .orderBy(...plan.orderBy)
    .limit(plan.limit);
  const page = plan.page(
    rows,
    (r) => r.name,
    (r) => r.pk,
  );
  return { items: page.items.map(summary), nextCursor: page.nextCursor };
}

export async function findListedApi(db: Database, env: PortalEnv, slug: string): Promise<ApiRow> {
  const [row] = await db
    .select()
    .from(apis)
    .where(and(listed(env), eq(apis.slug, slug)))
    .limit(1);
  if (!row) throw noApi(slug);
  return row;
}

/** The API's portal page: summary, ordered doc pages, subscribable plans with their limits in words. */
export async function catalogApi(db: Database, env: PortalEnv, slug: string) {
  const api = await findListedApi(db, env, slug);
  const pages = await pagesOf(db, api.pk);
  const planRows = await db
    .select()
    .from(plans)
    .where(and(eq(plans.apiPk, api.pk), eq(plans.status, 'published')))
    .orderBy(asc(plans.slug));
  return {
    ...summary(api),
    pages: pages.map((p) => ({ slug: p.slug, title: p.title })),
    plans: planRows.map((p) => ({
      slug: p.slug,
      name: p.name,
      description: p.description,
      securityType: p.securityType,
      approval: p.approval as 'auto' | 'manual',
      limits: describePlan({ type: p.securityType, config: p.securityConfig }, p.policies),
    })),
    hasOpenapi: api.openapi !== null,
  };
}

export async function catalogPage(db: Database, env: PortalEnv, apiSlug: string, pageSlug: string) {
  const page = await findPageOf(db, await findListedApi(db, env, apiSlug), pageSlug);
  return { slug: page.slug, title: page.title, markdown: page.markdown };
}

/**
 * The stored document with its servers replaced by where consumers call the API: the try-it base
 * URL + basePath (the stored servers are upstream addresses, which consumers must not learn).
 * Without a try-it base URL the server is the bare basePath.
 */
export async function catalogOpenapi(db: Database, env: PortalEnv, apiSlug: string) {
  const api = await findListedApi(db, env, apiSlug);
  if (!api.openapi) throw new GatewayError('not_found', { detail: `API "${apiSlug}" has no OpenAPI document.` });
  return withServers(api.openapi, env.settings.tryItBaseUrl, api.basePath);
}

export function withServers(document: Record<string, unknown>, baseUrl: string | null, basePath: string) {
  const url = `${baseUrl ?? ''}${basePath}`;
  if (typeof document.swagger === 'string') {
    // Swagger 2 names the server with host, basePath and schemes.
    const { host: _host, schemes: _schemes, ...rest } = document;
    if (!baseUrl) return { ...rest, basePath };
    const parsed = new URL(url);
    return { ...rest, host: parsed.host, basePath: parsed.pathname, schemes: [parsed.protocol.replace(':', '')] };
  }
  return { ...document, servers: [{ url }] };
}
