/**
 * Rollout of a deployment: how many of the gateways serving the API report that revision applied,
 * and since when (from heartbeats' appliedRevisions).
 */
import type { Database } from '../db/connect.js';
import { activeGateways, gatewaysServing } from './fleet.js';

export interface Rollout {
  applied: number;
  total: number;
  gateways: Array<{ id: string; name: string; appliedAt: string }>;
}

/** Rollouts of some revisions of one API, by revision. */
export async function rolloutsOf(
  db: Database,
  envId: string,
  apiId: string,
  revisions: Array<{ revision: number; shardingTags: readonly string[] }>,
): Promise<Map<number, Rollout>> {
  const fleet = await activeGateways(db, envId);
  const out = new Map<number, Rollout>();
  for (const { revision, shardingTags } of revisions) {
    const targets = gatewaysServing(fleet, shardingTags);
    const applied = targets.flatMap((g) => {
      const entry = g.applied?.[apiId];
      return entry?.revision === revision ? [{ id: g.id, name: g.name, appliedAt: entry.at }] : [];
    });
    out.set(revision, { applied: applied.length, total: targets.length, gateways: applied });
  }
  return out;
}
