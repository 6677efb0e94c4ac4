/**
 * Gateway tokens (hybrid mode): a gateway authenticates with the token shown at registration or,
 * during a rotation's grace period, the one before it. A revoked or deleted gateway's token is
 * unknown. Stored as sha256 only.
 */
import { and, eq, gt, isNull, or } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Database } from '../db/connect.js';
import { environments, gateways } from '../db/schema.js';
import type { GatewayTokenCache } from './gateway-token-cache.js';
import { hashToken, SECRET_PREFIX } from './secrets.js';

export interface GatewayPrincipal {
  id: string;
  name: string;
  tags: string[];
  envId: string;
  envSlug: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    gateway: GatewayPrincipal | null;
  }
}

// last_seen_at is informative; writing it on every poll would turn reads into writes.
const TOUCH_INTERVAL_MS = 30_000;

export async function authenticateGateway(
  db: Database,
  orgId: string,
  request: FastifyRequest,
  cache?: GatewayTokenCache,
): Promise<GatewayPrincipal | null> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  const token = match?.[1];
  if (!token?.startsWith(`${SECRET_PREFIX.gateway}_`)) return null;
  const hash = hashToken(token);
  const now = new Date();
  const cached = cache?.get(orgId, hash, now.getTime());
  if (cached) {
    if (now.getTime() - cached.lastSeenAt > TOUCH_INTERVAL_MS) {
      cached.lastSeenAt = now.getTime();
      await db.update(gateways).set({ lastSeenAt: now }).where(eq(gateways.id, cached.principal.id));
    }
    return cached.principal;
  }
  const lookup = cache?.begin();
  const [row] = await db
    .select({
      id: gateways.id,
      name: gateways.name,
      tags: gateways.tags,
      envId: gateways.envId,
      envSlug: environments.slug,
      lastSeenAt: gateways.lastSeenAt,
      tokenHash: gateways.tokenHash,
      previousTokenExpiresAt: gateways.previousTokenExpiresAt,
      rowVersion: gateways.rowVersion,
    })
    .from(gateways)
    .innerJoin(environments, eq(environments.id, gateways.envId))
    .where(
      and(
        eq(environments.orgId, orgId),
        isNull(gateways.revokedAt),
        or(
          eq(gateways.tokenHash, hash),
          and(eq(gateways.previousTokenHash, hash), gt(gateways.previousTokenExpiresAt, now)),
        ),
      ),
    )
    .limit(1);
  if (!row) return null;
  let lastSeenAt = row.lastSeenAt?.getTime() ?? 0;
  if (now.getTime() - lastSeenAt > TOUCH_INTERVAL_MS) {
    lastSeenAt = now.getTime();
    await db.update(gateways).set({ lastSeenAt: now }).where(eq(gateways.id, row.id));
  }
  const principal = { id: row.id, name: row.name, tags: row.tags, envId: row.envId, envSlug: row.envSlug };
  // The previous token (a rotation's grace period) is valid until it expires; the current one until an event says otherwise.
  const validUntil = row.tokenHash === hash ? Number.POSITIVE_INFINITY : (row.previousTokenExpiresAt?.getTime() ?? 0);
  if (lookup) cache?.put(lookup, orgId, hash, { principal, lastSeenAt, validUntil, rowVersion: row.rowVersion });
  return principal;
}

export function gatewayOf(request: FastifyRequest): GatewayPrincipal {
  if (!request.gateway) throw new Error('gateway route without gateway authentication');
  return request.gateway;
}
