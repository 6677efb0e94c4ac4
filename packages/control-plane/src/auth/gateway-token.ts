/**
 * Gateway tokens (hybrid mode): a gateway authenticates with the token shown at registration or,
 * during a rotation's grace period, the one before it. A revoked or deleted gateway's token is
 * unknown. Stored as sha256 only.
 */
import { and, eq, gt, isNull, or } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Database } from '../db/connect.js';
import { environments, gateways } from '../db/schema.js';
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
): Promise<GatewayPrincipal | null> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  const token = match?.[1];
  if (!token?.startsWith(`${SECRET_PREFIX.gateway}_`)) return null;
  const hash = hashToken(token);
  const now = new Date();
  const [row] = await db
    .select({
      id: gateways.id,
      name: gateways.name,
      tags: gateways.tags,
      envId: gateways.envId,
      envSlug: environments.slug,
      lastSeenAt: gateways.lastSeenAt,
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
  if (!row.lastSeenAt || now.getTime() - row.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
    await db.update(gateways).set({ lastSeenAt: now }).where(eq(gateways.id, row.id));
  }
  return { id: row.id, name: row.name, tags: row.tags, envId: row.envId, envSlug: row.envSlug };
}

export function gatewayOf(request: FastifyRequest): GatewayPrincipal {
  if (!request.gateway) throw new Error('gateway route without gateway authentication');
  return request.gateway;
}
