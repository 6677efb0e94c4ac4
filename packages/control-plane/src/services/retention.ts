/**
 * Analytics retention: gateways send one record per request, so `analytics_requests` grows with the
 * traffic. Records older than the retention are deleted in batches on a timer: short statements
 * rather than one long delete holding locks and bloating a transaction, and one replica at a time
 * (a transaction-scoped advisory lock; a replica that finds it taken leaves the batch to the holder).
 */
import type { Logger } from '@gatehouse/core';
import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from '../db/connect.js';
import { inTransaction } from './tx.js';

// Arbitrary constant namespacing our advisory locks (4_770_001: migrations, 4_770_002: change log).
const RETENTION_LOCK = 4_770_003;
export const DEFAULT_ANALYTICS_RETENTION_MS = 30 * 86_400_000;
export const RETENTION_INTERVAL_MS = 3_600_000;
const BATCH = 5000;

export interface PruneResult {
  deleted: number;
  /** Another replica held the lock: it prunes, this one did nothing. */
  skipped: boolean;
}

/** Deletes analytics records older than `before`, `batchSize` rows per statement, until none is left. */
export async function pruneAnalytics(db: Database, before: Date, batchSize = BATCH): Promise<PruneResult> {
  let deleted = 0;
  for (;;) {
    const batch = await inTransaction(db, async (tx) => {
      const [lock] = rowsOf<{ locked: boolean }>(
        await tx.execute(sql`SELECT pg_try_advisory_xact_lock(${RETENTION_LOCK}) AS locked`),
      );
      if (!lock?.locked) return undefined;
      const rows = rowsOf<{ id: string }>(
        await tx.execute(sql`DELETE FROM analytics_requests WHERE id IN (
          SELECT id FROM analytics_requests WHERE time < ${before.toISOString()}::timestamptz LIMIT ${batchSize}
        ) RETURNING id`),
      );
      return rows.length;
    });
    if (batch === undefined) return { deleted, skipped: deleted === 0 };
    deleted += batch;
    if (batch < batchSize) return { deleted, skipped: false };
  }
}

export interface RetentionJob {
  /** One pass now (also what the timer runs); resolves with what it deleted. */
  runOnce(): Promise<PruneResult>;
  /** Stops the timer and waits for a pass under way, so the database can be closed after it. */
  stop(): Promise<void>;
}

export interface RetentionOptions {
  /** Age beyond which records are deleted; 0 keeps them forever (no job). */
  analyticsRetentionMs: number;
  intervalMs?: number;
  logger: Logger;
  now?: () => number;
}

/** Starts the periodic job: a first pass right after start, then one per interval. */
export function startRetention(db: Database, options: RetentionOptions): RetentionJob {
  const { analyticsRetentionMs, logger } = options;
  const now = options.now ?? Date.now;
  let running: Promise<PruneResult> | undefined;
  let stopped = false;
  const runOnce = (): Promise<PruneResult> => {
    running ??= pruneAnalytics(db, new Date(now() - analyticsRetentionMs))
      .then((result) => {
        if (result.deleted > 0) logger.info({ deleted: result.deleted }, 'analytics records past retention deleted');
        return result;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const tick = () => {
    if (stopped) return;
    runOnce().catch((error: unknown) => logger.warn({ err: error }, 'analytics retention pass failed; retried later'));
  };
  const timer = analyticsRetentionMs > 0 ? setInterval(tick, options.intervalMs ?? RETENTION_INTERVAL_MS) : undefined;
  // Never what keeps a process alive.
  timer?.unref();
  const first = analyticsRetentionMs > 0 ? setTimeout(tick, 0) : undefined;
  first?.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (first) clearTimeout(first);
      await running?.catch(() => undefined);
    },
  };
}
