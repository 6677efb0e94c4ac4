/**
 * Authentication and authorization for every route, before validation and before the handler:
 * a caller without the right answers 401/403 whatever they sent. Routes declare their action in
 * `config.action`; a route without one refuses to register (fail closed).
 */
import { GatewayError } from '@gatehouse/core';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../db/connect.js';
import { authTokens, environments, memberships, users } from '../db/schema.js';
import { changeBus } from '../hybrid/events.js';
import type { Principal } from './context.js';
import { assertCsrf, sessionCookieOf } from './cookie-session.js';
import { authenticateGateway } from './gateway-token.js';
import { gatewayTokenCache } from './gateway-token-cache.js';
import { startTokenSweep } from './gateway-token-sweep.js';
import { isAllowed, PERMISSIONS, type Role } from './permissions.js';
import { hashToken, SECRET_PREFIX } from './secrets.js';

export interface AuthPluginOptions {
  db: Database;
  /** Gateway-token lookups: the gateway protocol's own pool, so management load cannot delay them. */
  gatewayDb?: Database | undefined;
  orgId: string;
  /** Routes under these prefixes are registered by plugins (docs UI) and are public. */
  publicPrefixes: string[];
  /** How often cached gateway tokens are checked against the database (gateway-token-sweep.ts). */
  tokenSweepIntervalMs?: number | undefined;
}

// last_used_at is informative; writing it on every request would turn reads into writes.
const TOUCH_INTERVAL_MS = 60_000;

export function registerAuth(app: FastifyInstance, options: AuthPluginOptions): void {
  const { db, orgId, publicPrefixes } = options;
  app.decorateRequest('principal', null);
  app.decorateRequest('envCtx', null);
  app.decorateRequest('gateway', null);
  // Services publish revocations on the bus of the main handle.
  const tokenCache = gatewayTokenCache(changeBus(db));
  const sweep = startTokenSweep(options.gatewayDb ?? db, tokenCache, options.tokenSweepIntervalMs);
  app.addHook('onClose', async () => sweep.stop());

  app.addHook('onRoute', (route) => {
    const action = route.config?.action;
    if (action !== undefined && action in PERMISSIONS) return;
    if (publicPrefixes.some((prefix) => route.url.startsWith(prefix))) return;
    throw new Error(`route ${String(route.method)} ${route.url} has no authorization action`);
  });

  app.addHook('onRequest', async (request) => {
    const action = request.routeOptions.config?.action;
    // Docs UI, no route (404 handler), or a public action: no credentials asked for or looked at.
    if (action === undefined || PERMISSIONS[action].scope === 'public') return;
    if (PERMISSIONS[action].scope === 'gateway') {
      const gateway = await authenticateGateway(options.gatewayDb ?? db, orgId, request, tokenCache);
      if (!gateway) {
        throw new GatewayError('unauthorized', {
          detail: 'Send `Authorization: Bearer <gateway token>` (from POST /api/v1/environments/{env}/gateways).',
          headers: { 'www-authenticate': 'Bearer realm="gatehouse-gateway"' },
        });
      }
      request.gateway = gateway;
      return;
    }
    const principal = await authenticate(db, request);
    if (!principal) {
      throw new GatewayError('unauthorized', {
        detail: 'Send `Authorization: Bearer <token>` (from POST /api/v1/auth/login or a personal access token).',
        headers: { 'www-authenticate': 'Bearer realm="gatehouse"' },
      });
    }
    request.principal = principal;
    const rule = PERMISSIONS[action];
    let role: Role | undefined;
    if (rule.scope === 'env') {
      const slug = (request.params as { env?: string }).env ?? '';
      const env = await resolveEnvironment(db, orgId, slug, principal);
      // Not a member: the environment does not exist for this caller.
      if (!env) throw new GatewayError('not_found', { detail: `No environment "${slug}".` });
      role = env.role;
      request.envCtx = env;
    }
    if (!isAllowed(action, principal, role)) {
      throw new GatewayError('forbidden', { detail: `Your role does not allow "${action}".` });
    }
    const envSlug = (request.params as { env?: string }).env;
    if (rule.scope !== 'env' && envSlug !== undefined) {
      // Platform routes on one environment (rename it) still need it to exist.
      const env = await resolveEnvironment(db, orgId, envSlug, principal);
      if (!env) throw new GatewayError('not_found', { detail: `No environment "${envSlug}".` });
      request.envCtx = env;
    }
  });
}

/** A bearer token wins; without an Authorization header the console's session cookie is accepted. */
async function authenticate(db: Database, request: FastifyRequest): Promise<Principal | null> {
  const header = request.headers.authorization;
  if (!header) {
    const cookie = sessionCookieOf(request);
    if (!cookie?.startsWith(`${SECRET_PREFIX.session}_`)) return null;
    const principal = await principalOfToken(db, cookie);
    if (principal) assertCsrf(request, cookie);
    return principal && { ...principal, viaCookie: true, sessionToken: cookie };
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return null;
  return principalOfToken(db, match[1]!);
}

async function principalOfToken(db: Database, token: string): Promise<Principal | null> {
  if (!token.startsWith(`${SECRET_PREFIX.session}_`) && !token.startsWith(`${SECRET_PREFIX.pat}_`)) return null;
  const now = new Date();
  const [row] = await db
    .select({
      tokenId: authTokens.id,
      kind: authTokens.kind,
      lastUsedAt: authTokens.lastUsedAt,
      userId: users.id,
      email: users.email,
      isAdmin: users.isAdmin,
    })
    .from(authTokens)
    .innerJoin(users, eq(users.id, authTokens.userId))
    .where(
      and(
        eq(authTokens.tokenHash, hashToken(token)),
        isNull(authTokens.revokedAt),
        gt(authTokens.expiresAt, now),
        eq(users.disabled, false),
      ),
    )
    .limit(1);
  if (!row) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
    await db.update(authTokens).set({ lastUsedAt: now }).where(eq(authTokens.id, row.tokenId));
  }
  return {
    userId: row.userId,
    email: row.email,
    isAdmin: row.isAdmin,
    tokenId: row.tokenId,
    tokenKind: row.kind as Principal['tokenKind'],
  };
}

async function resolveEnvironment(db: Database, orgId: string, slug: string, principal: Principal) {
  const [env] = await db
    .select({ id: environments.id, slug: environments.slug, role: memberships.role })
    .from(environments)
    .leftJoin(memberships, and(eq(memberships.envId, environments.id), eq(memberships.userId, principal.userId)))
    .where(and(eq(environments.orgId, orgId), eq(environments.slug, slug)))
    .limit(1);
  if (!env) return null;
  if (principal.isAdmin) return { id: env.id, slug: env.slug, role: 'admin' as Role };
  if (!env.role) return null;
  return { id: env.id, slug: env.slug, role: env.role as Role };
}
