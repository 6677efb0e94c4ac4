/**
 * Gateway heartbeats: the latest one per gateway, plus when each API revision was first reported
 * (rollout times) and the most recent errors across heartbeats.
 */
import { inArray, sql } from 'drizzle-orm';
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

/** One heartbeat now (a batch of one); the route batches through HeartbeatWriter. */
export async function recordHeartbeat(db: Database, gatewayId: string, input: HeartbeatInput, now = new Date()) {
  await writeHeartbeats(db, [{ gatewayId, input, now }]);
}

interface PendingHeartbeat {
  gatewayId: string;
  input: HeartbeatInput;
  now: Date;
}

/**
 * Group commit for heartbeats: one arriving while no write runs is written at once; those
 * arriving meanwhile are written together when it ends, in three statements for the whole batch
 * (read the previous rows, upsert, mark the gateways seen) instead of three each. Nothing waits
 * on a timer, and each caller's promise settles once its heartbeat is stored.
 */
export class HeartbeatWriter {
  private pending: Array<PendingHeartbeat & { done: () => void; failed: (e: unknown) => void }> = [];
  private writing = false;
  /** Batches written (tests read it). */
  batches = 0;

  constructor(private readonly db: Database) {}

  record(gatewayId: string, input: HeartbeatInput, now = new Date()): Promise<void> {
    return new Promise<void>((done, failed) => {
      this.pending.push({ gatewayId, input, now, done, failed });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      this.batches++;
      try {
        await writeHeartbeats(this.db, batch);
        for (const item of batch) item.done();
      } catch (error) {
        if (batch.length === 1) batch[0]!.failed(error);
        // One bad heartbeat (its gateway deleted meanwhile) must not fail the others: one by one.
        else for (const item of batch) await writeHeartbeats(this.db, [item]).then(item.done, item.failed);
      }
    }
    this.writing = false;
  }
}

export async function writeHeartbeats(db: Database, batch: readonly PendingHeartbeat[]): Promise<void> {
  if (batch.length === 0) return;
  const ids = [...new Set(batch.map((b) => b.gatewayId))];
  const previousRows = await db
    .select({
      gatewayId: gatewayHeartbeats.gatewayId,
      applied: gatewayHeartbeats.applied,
      errors: gatewayHeartbeats.errors,
      capabilities: gatewayHeartbeats.capabilities,
    })
    .from(gatewayHeartbeats)
    .where(inArray(gatewayHeartbeats.gatewayId, ids));
  const latest = new Map<string, typeof gatewayHeartbeats.$inferInsert>();
  const state = new Map(previousRows.map((r) => [r.gatewayId, r]));
  // In arrival order, so a gateway's second heartbeat in a batch builds on its first.
  for (const { gatewayId, input, now } of batch) {
    const previous = state.get(gatewayId);
    const applied: AppliedRevisions = {};
    for (const [api, revision] of Object.entries(input.appliedRevisions ?? {})) {
      const before = previous?.applied[api];
      // The time a revision was first reported is when it reached this gateway (to a heartbeat's precision).
      applied[api] = before?.revision === revision ? before : { revision, at: now.toISOString() };
    }
    const errors = mergeErrors(previous?.errors ?? [], input.errors ?? []);
    // A gateway that reports none keeps its last known capabilities (they change only on upgrade).
    const capabilities = input.capabilities ?? previous?.capabilities ?? null;
    state.set(gatewayId, { gatewayId, applied, errors, capabilities });
    latest.set(gatewayId, {
      gatewayId,
      receivedAt: now,
      instanceId: input.instanceId ?? null,
      version: input.version ?? null,
      hostname: input.hostname ?? null,
      configVersion: input.configVersion ?? null,
      cursor: input.cursor ?? null,
      applied,
      uptimeSeconds: input.uptimeSeconds ?? null,
      requests: input.requests ?? null,
      capabilities,
      backup: input.backup ?? null,
      errors,
    });
  }
  const excluded = (column: string) => sql.raw(`excluded.${column}`);
  await db
    .insert(gatewayHeartbeats)
    .values([...latest.values()])
    .onConflictDoUpdate({
      target: gatewayHeartbeats.gatewayId,
      set: {
        receivedAt: excluded('received_at'),
        instanceId: excluded('instance_id'),
        version: excluded('version'),
        hostname: excluded('hostname'),
        configVersion: excluded('config_version'),
        cursor: excluded('cursor'),
        applied: excluded('applied'),
        uptimeSeconds: excluded('uptime_seconds'),
        requests: excluded('requests'),
        capabilities: excluded('capabilities'),
        backup: excluded('backup'),
        errors: excluded('errors'),
      },
    });
  const seenAt = new Date(Math.max(...batch.map((b) => b.now.getTime())));
  await db.update(gateways).set({ lastSeenAt: seenAt }).where(inArray(gateways.id, ids));
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
