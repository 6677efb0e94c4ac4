/** The registered, non-revoked gateways of an environment with what their last heartbeat said. */
import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { gatewayHeartbeats, gateways } from '../db/schema.js';
import { servesApi } from './sharding.js';

export async function activeGateways(db: Database, envId: string) {
  return db
    .select({
      id: gateways.id,
      name: gateways.name,
      tags: gateways.tags,
      capabilities: gatewayHeartbeats.capabilities,
      applied: gatewayHeartbeats.applied,
    })
    .from(gateways)
    .leftJoin(gatewayHeartbeats, eq(gatewayHeartbeats.gatewayId, gateways.id))
    .where(and(eq(gateways.envId, envId), isNull(gateways.revokedAt)))
    .orderBy(gateways.name);
}
export type ActiveGateway = Awaited<ReturnType<typeof activeGateways>>[number];

export function gatewaysServing(fleet: ActiveGateway[], apiTags: readonly string[]): ActiveGateway[] {
  return fleet.filter((g) => servesApi(g.tags, apiTags));
}
