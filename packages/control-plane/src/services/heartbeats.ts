/**
 * Gateway heartbeats: the latest one per gateway, plus when each API revision was first reported
 * (rollout times) and the most recent errors across heartbeats.
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import {
  type AppliedRevisions,
  type GatewayCapability,
  type GatewayReportedError,
  gatewayHeartbeats,
  gateways,
} from '../db/schema.js';

export const MAX_KEPT_ERRORS = 20;

export interface HeartbeatInput {
  instanceId?: string | undefined;
  version?: string | undefined;
  hostname?: string | undefined;
  configVersion?: string | null | undefined;
  cursor?: string | null | undefined;
  appliedRevisions?: Record<string, number> | undefined;
  uptimeSeconds?: number | undefined;
  requests?: Record<string, number> | undefined;
  capabilities?: GatewayCapability[] | undefined;
  backup?: Record<string, unknown> | undefined;
  errors?: GatewayReportedError[] | undefined;
}

export async function recordHeartbeat(db: Database, gatewayId: string, input: HeartbeatInput, now = new Date()) {
  const [previous] = await db
    .select({ applied: gatewayHeartbeats.applied, errors: gatewayHeartbeats.errors })
    .from(gatewayHeartbeats)
    .where(eq(gatewayHeartbeats.gatewayId, gatewayId))
    .limit(1);
  const applied: AppliedRevisions = {};
  for (const [api, revision] of Object.entries(input.appliedRevisions ?? {})) {
    const before = previous?.applied[api];
    // The time a revision was first reported is when it reached this gateway (to a heartbeat's precision).
    applied[api] = before?.revision === revision ? before : { revision, at: now.toISOString() };
  }
  const errors = mergeErrors(previous?.errors ?? [], input.errors ?? []);
  const values = {
    receivedAt: now,
    instanceId: input.instanceId ?? null,
    version: input.version ?? null,
    hostname: input.hostname ?? null,
    configVersion: input.configVersion ?? null,
    cursor: input.cursor ?? null,
    applied,
    uptimeSeconds: input.uptimeSeconds ?? null,
    requests: input.requests ?? null,
    // A gateway that reports none keeps its last known capabilities (they change only on upgrade).
    capabilities: input.capabilities ?? null,
    backup: input.backup ?? null,
    errors,
  };
  await db
    .insert(gatewayHeartbeats)
    .values({ gatewayId, ...values })
    .onConflictDoUpdate({
      target: gatewayHeartbeats.gatewayId,
      set: input.capabilities ? values : withoutCapabilities(values),
    });
  await db.update(gateways).set({ lastSeenAt: now }).where(eq(gateways.id, gatewayId));
}

function withoutCapabilities<T extends { capabilities: unknown }>(values: T): Omit<T, 'capabilities'> {
  const { capabilities: _ignored, ...rest } = values;
  return rest;
}

/** The newest errors first, without repeats (a gateway resends its recent errors each heartbeat). */
export function mergeErrors(kept: GatewayReportedError[], incoming: GatewayReportedError[]): GatewayReportedError[] {
  const seen = new Set<string>();
  const all = [...incoming, ...kept].filter((e) => {
    const key = `${e.at}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return all.sort((a, b) => b.at.localeCompare(a.at)).slice(0, MAX_KEPT_ERRORS);
}
