/**
 * The change log's horizon: rows older than a maximum age, or beyond the newest `keep` rows of their
 * environment, are deleted, and the highest sequence number deleted is kept per environment
 * (`config_change_horizons`). A gateway whose cursor is below it cannot be given a delta (the
 * changes it missed are gone): it gets a snapshot. The newest row of an environment is never
 * deleted, since it is the environment's head (changes.ts `headSeq`).
 */
import { eq, sql } from 'drizzle-orm';
import { type Database, rowsOf } from '../db/connect.js';
import { configChangeHorizons } from '../db/schema.js';

export interface ChangeLogRetention {
  /** Rows older than this are pruned (0: no age limit). */
  maxAgeMs: number;
  /** At most this many rows are kept per environment (0: no count limit). */
  keep: number;
}

export const DEFAULT_CHANGE_LOG_RETENTION: ChangeLogRetention = { maxAgeMs: 7 * 86_400_000, keep: 10_000 };

/** Prunes every environment's log in one statement; answers the rows deleted. */
export async function pruneChangeLog(db: Database, retention: ChangeLogRetention, now = Date.now()): Promise<number> {
  if (retention.maxAgeMs <= 0 && retention.keep <= 0) return 0;
  const keep = retention.keep > 0 ? retention.keep : 2 ** 31 - 1;
  // With no age limit, a cutoff no row is older than.
  const cutoff = new Date(retention.maxAgeMs > 0 ? now - retention.maxAgeMs : 0).toISOString();
  // The horizon and the deletion commit together: a sync that read the log before sees every row,
  // one that reads after sees the new horizon (sync.ts checks it after reading the changes).
  const rows = rowsOf<{ n: number }>(
    await db.execute(sql`
      WITH ranked AS (
        SELECT env_id, seq, created_at, row_number() OVER (PARTITION BY env_id ORDER BY seq DESC) AS rn
        FROM config_changes
      ), horizon AS (
        SELECT env_id, max(seq) AS through FROM ranked
        WHERE rn > 1 AND (rn > ${keep} OR created_at < ${cutoff}::timestamptz)
        GROUP BY env_id
      ), marked AS (
        INSERT INTO config_change_horizons (env_id, pruned_through)
        SELECT env_id, through FROM horizon
        ON CONFLICT (env_id) DO UPDATE
          SET pruned_through = greatest(config_change_horizons.pruned_through, excluded.pruned_through)
        RETURNING env_id, pruned_through
      ), gone AS (
        DELETE FROM config_changes c USING marked m
        WHERE c.env_id = m.env_id AND c.seq <= m.pruned_through
        RETURNING 1
      )
      SELECT count(*)::int AS n FROM gone`),
  );
  return Number(rows[0]?.n ?? 0);
}

/** The highest sequence number pruned from the environment's log (0 when nothing was). */
export async function prunedThrough(db: Database, envId: string): Promise<number> {
  const [row] = await db
    .select({ through: configChangeHorizons.prunedThrough })
    .from(configChangeHorizons)
    .where(eq(configChangeHorizons.envId, envId));
  return Number(row?.through ?? 0);
}
