/**
 * The built developer portal (packages/portal/dist) at /portal/. Its client routes start with the
 * environment (/portal/<env>/...; /portal/ is the default environment), and its try-it console calls
 * that environment's gateway from the browser: index.html's CSP allows connections to that
 * environment's tryItBaseUrl origin, and to nothing else outside this origin.
 */
import { fileURLToPath } from 'node:url';
import { SLUG_PATTERN } from '@gatehouse/config';
import { and, asc, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/connect.js';
import { environments, portalSettings } from '../db/schema.js';
import { registerStaticApp } from './static-app.js';

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

export function registerPortal(
  app: FastifyInstance,
  options: { db: Database; orgId: string; dir?: string | undefined },
): void {
  registerStaticApp(app, {
    prefix: PORTAL_PREFIX,
    dir: options.dir ?? defaultPortalDir(),
    label: 'The developer portal',
    connectSrc: (path) => tryItOrigins(options.db, options.orgId, path),
  });
}
