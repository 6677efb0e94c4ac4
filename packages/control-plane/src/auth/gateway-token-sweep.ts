/**
 * Bounds how long a cached gateway token outlives a change to its gateway made without an event: a
 * control-plane replica of an older build rotating or revoking it during a rolling upgrade. Every
 * SWEEP_INTERVAL_MS one query reads the row versions of the gateways in this replica's cache (by
 * primary key, in chunks) and drops those whose row changed or is gone. No clocks are compared, so
 * skew between replicas does not matter. The cost is one query per interval per replica, whatever
 * the fleet's poll rate; the events still make this replica's own changes and an up-to-date
 * replica's immediate.
 */
import { inArray } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { gateways } from '../db/schema.js';
import type { GatewayTokenCache } from './gateway-token-cache.js';

export const SWEEP_INTERVAL_MS = 5_000;
/** Ids per query: well below PostgreSQL's 65,535 bind parameters. */
const CHUNK = 10_000;

export interface TokenSweep {
  /** One sweep now (tests; the timer calls it too). */
  sweep(): Promise<void>;
  stop(): void;
}

export function startTokenSweep(db: Database, cache: GatewayTokenCache, intervalMs = SWEEP_INTERVAL_MS): TokenSweep {
  // One sweep at a time: a slow database must not pile them up.
  let busy = false;
  const sweep = async (): Promise<void> => {
    const read = cache.cachedVersions();
    if (read.size === 0) return;
    const ids = [...read.keys()];
    const current = new Map<string, number>();
    try {
      for (let i = 0; i < ids.length; i += CHUNK) {
        const rows = await db
          .select({ id: gateways.id, rowVersion: gateways.rowVersion })
          .from(gateways)
          .where(inArray(gateways.id, ids.slice(i, i + CHUNK)));
        for (const row of rows) current.set(row.id, row.rowVersion);
      }
    } catch {
      cache.clear();
      return;
    }
    cache.reconcile(read, current);
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void sweep().finally(() => {
      busy = false;
    });
  }, intervalMs);
  timer.unref();
  return { sweep, stop: () => clearInterval(timer) };
}
