/**
 * The built developer portal (packages/portal/dist) at /portal/. Its client routes start with the
 * environment (/portal/<env>/...; /portal/ is the default environment), and its try-it console calls
 * that environment's gateway from the browser: index.html's CSP allows connections to that
 * environment's tryItBaseUrl origin, and to nothing else outside this origin. index.html also carries
 * the environment's public settings and, on the catalog, its first page (what the anonymous
 * endpoints would answer), so the first screen renders without waiting for the API.
 */
import { fileURLToPath } from 'node:url';
import { SLUG_PATTERN } from '@gatehouse/config';
import { GatewayError } from '@gatehouse/core';
import { and, asc, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/connect.js';
import { environments, portalSettings } from '../db/schema.js';
import { findPortalEnv, listCatalog, type PortalEnv, publicSettings } from '../services/portal-catalog.js';
import { type IndexExtras, registerStaticApp } from './static-app.js';

export const PORTAL_PREFIX = '/portal/';
const SLUG = new RegExp(SLUG_PATTERN);

/** packages/portal/dist, from src/http or dist/http alike; GATEHOUSE_PORTAL_DIR overrides. */
export function defaultPortalDir(): string {
  return process.env.GATEHOUSE_PORTAL_DIR ?? fileURLToPath(new URL('../../../portal/dist/', import.meta.url));
}

/** The try-it origin of the environment a portal path names (or of the default portal). */
export async function tryItOrigins(db: Database, orgId: string, path: string): Promise<string[]> {
  const slug = path.split('/')[0] ?? '';
  const [row] = await db
    .select({ url: portalSettings.tryItBaseUrl })
    .from(environments)
    .innerJoin(portalSettings, eq(portalSettings.envId, environments.id))
    .where(
      and(
        eq(environments.orgId, orgId),
        eq(portalSettings.enabled, true),
        SLUG.test(slug) ? eq(environments.slug, slug) : undefined,
      ),
    )
    .orderBy(asc(environments.createdAt), asc(environments.slug))
    .limit(1);
  // Stored URLs were checked to be http(s) (services/portal-settings.ts); the origin has no spaces or quotes.
  return row?.url ? [new URL(row.url).origin] : [];
}

/** Cards in the catalog's first page (the portal asks for the same number: CATALOG_PAGE in pages/catalog.ts). */
export const CATALOG_FIRST_PAGE = 24;

/** The catalog filters of a query string as the portal reads them, or null when the API would refuse them. */
function catalogFilters(query: Readonly<Record<string, unknown>>) {
  const one = (name: string) => {
    const value = query[name] ?? '';
    return typeof value === 'string' ? value : null;
  };
  const q = one('q')?.trim();
  const category = one('category');
  const tag = one('tag');
  // Same limits as GET /portal/:env/apis; anything else is left to the app's own request (and its 400).
  if (q === undefined || category === null || tag === null) return null;
  if (q.length > 200 || category.length > 64 || tag.length > 64) return null;
  return { q, category, tag };
}

/** What index.html carries for a portal path: the try-it origin for its CSP, and the portal's data. */
export async function portalIndexExtras(
  db: Database,
  orgId: string,
  path: string,
  query: Readonly<Record<string, unknown>>,
  withData = true,
): Promise<IndexExtras> {
  const [slug = '', ...rest] = path.split('/');
  if (!SLUG.test(slug)) return { connectSrc: await tryItOrigins(db, orgId, path) };
  let env: PortalEnv;
  try {
    env = await findPortalEnv(db, orgId, slug);
  } catch (error) {
    if (error instanceof GatewayError) return { connectSrc: [] }; // no portal here: the app says so
    throw error;
  }
  const connectSrc = env.settings.tryItBaseUrl ? [new URL(env.settings.tryItBaseUrl).origin] : [];
  if (!withData) return { connectSrc };
  const data: PortalBootData = { env: env.slug, settings: publicSettings(env) };
  const filters = rest.join('') === '' ? catalogFilters(query) : null;
  if (filters) {
    const page = await listCatalog(db, env, { ...filters, limit: CATALOG_FIRST_PAGE });
    data.catalog = { filters, page };
  }
  return { connectSrc, data };
}

/** The data island of the portal's index.html (read by packages/portal/src/boot-data.ts). */
export interface PortalBootData {
  env: string;
  settings: ReturnType<typeof publicSettings>;
  catalog?: {
    filters: { q: string; category: string; tag: string };
    page: Awaited<ReturnType<typeof listCatalog>>;
  };
}

export function registerPortal(
  app: FastifyInstance,
  options: { db: Database; orgId: string; dir?: string | undefined },
): void {
  registerStaticApp(app, {
    prefix: PORTAL_PREFIX,
    dir: options.dir ?? defaultPortalDir(),
    label: 'The developer portal',
    index: (path, query, data) => portalIndexExtras(options.db, options.orgId, path, query, data),
  });
}
