/**
 * Analytics retention and partition upkeep. Raw records live in daily partitions: the job creates the
 * next days' partitions ahead and drops the ones wholly past the retention (no DELETE of rows, no
 * bloat). Rollups are small; those past the retention are deleted in batches of short statements.
 * One replica at a time prunes (a transaction-scoped advisory lock; a replica that finds it taken
 * leaves the pass to the holder).
 */
import type { Logger } from '@gatehouse/core';
import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from '../db/connect.js';
import { type ChangeLogRetention, pruneChangeLog } from '../hybrid/change-horizon.js';
import { DAY_MS, dayOf, dropPartitionsBefore, ensurePartitions } from './analytics-partitions.js';
import { inTransaction } from './tx.js';

// Arbitrary constant namespacing our advisory locks (4_770_001: migrations, 4_770_002: change log).
const RETENTION_LOCK = 4_770_003;
export const DEFAULT_ANALYTICS_RETENTION_MS = 30 * 86_400_000;
export const RETENTION_INTERVAL_MS = 3_600_000;
const BATCH = 5000;
/** Days of partitions created ahead of today. */
const DAYS_AHEAD = 2;

export interface PruneResult {
  /** Raw-record partitions dropped. */
  partitions: string[];
  /** Rollup rows deleted. */
  rollups: number;
  /** Another replica held the lock: it prunes, this one did nothing. */
  skipped: boolean;
  /** Change-log rows pruned past the horizon (hybrid/change-horizon.ts). */
  changes?: number;
}

/** Creates the partitions of today and the next days (idempotent; any replica may run it). */
export async function preparePartitions(db: Database, now: number): Promise<void> {
  const today = dayOf(now);
  await ensurePartitions(
    db,
    Array.from({ length: DAYS_AHEAD + 1 }, (_, i) => today + i * DAY_MS),
  );
}

/** Drops raw partitions wholly before `before`, then deletes older rollups, `batchSize` per statement. */
export async function pruneAnalytics(db: Database, before: Date, batchSize = BATCH): Promise<PruneResult> {
  const partitions = await inTransaction(db, async (tx) => {
    if (!(await locked(tx))) return undefined;
    return dropPartitionsBefore(tx, before);
  });
  if (partitions === undefined) return { partitions: [], rollups: 0, skipped: true };
  let rollups = 0;
  for (;;) {
    const batch = await inTransaction(db, async (tx) => {
      if (!(await locked(tx))) return 0;
      // A row whose bucket reaches past the cutoff (an hour or a day) is kept until it no longer does.
      const rows = rowsOf<{ n: number }>(
        await tx.execute(sql`WITH gone AS (DELETE FROM analytics_rollups WHERE ctid = ANY(ARRAY(
          SELECT ctid FROM analytics_rollups
          WHERE bucket < ${before.toISOString()}::timestamptz
            AND bucket + make_interval(secs => grain) <= ${before.toISOString()}::timestamptz
          LIMIT ${batchSize})) RETURNING 1) SELECT count(*)::int AS n FROM gone`),
      );
      return Number(rows[0]?.n ?? 0);
    });
    rollups += batch;
    if (batch < batchSize) return { partitions, rollups, skipped: false };
  }
}

async function locked(tx: Database): Promise<boolean> {
  const [lock] = rowsOf<{ locked: boolean }>(
    await tx.execute(sql`SELECT pg_try_advisory_xact_lock(${RETENTION_LOCK}) AS locked`),
  );
  return lock?.locked === true;
}

export interface RetentionJob {
  /** One pass now (also what the timer runs); resolves with what it deleted. */
  runOnce(): Promise<PruneResult>;
  /** Stops the timer and waits for a pass under way, so the database can be closed after it. */
  stop(): Promise<void>;
}

export interface RetentionOptions {
  /** Age beyond which records are dropped; 0 keeps them forever (partitions are still prepared). */
  analyticsRetentionMs: number;
  /** The change log's horizon; absent: the log is not pruned. */
  changeLog?: ChangeLogRetention;
  intervalMs?: number;
  logger: Logger;
  now?: () => number;
}

/**
 * Starts the periodic job: a first pass right after start, then one per interval. Partitions are
 * prepared even when records are kept forever.
 */
export function startRetention(db: Database, options: RetentionOptions): RetentionJob {
  const { analyticsRetentionMs, logger } = options;
  const now = options.now ?? Date.now;
  let running: Promise<PruneResult> | undefined;
  let stopped = false;
  const runOnce = (): Promise<PruneResult> => {
    running ??= (async () => {
      await preparePartitions(db, now());
      const changes = options.changeLog ? await pruneChangeLog(db, options.changeLog, now()) : 0;
      if (changes > 0) logger.info({ changes }, 'change-log rows past the horizon pruned');
      if (analyticsRetentionMs <= 0) return { partitions: [], rollups: 0, skipped: false, changes };
      return { ...(await pruneAnalytics(db, new Date(now() - analyticsRetentionMs))), changes };
    })()
      .then((result) => {
        if (result.partitions.length > 0 || result.rollups > 0)
          logger.info({ partitions: result.partitions, rollups: result.rollups }, 'analytics past retention dropped');
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
  const timer = setInterval(tick, options.intervalMs ?? RETENTION_INTERVAL_MS);
  // Never what keeps a process alive.
  timer.unref();
  const first = setTimeout(tick, 0);
  first.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(first);
      await running?.catch(() => undefined);
    },
  };
}
