/**
 * Daily partitions of `analytics_requests` (UTC days, named analytics_requests_pYYYYMMDD). A job
 * creates them ahead; ingest creates a missing one on demand (a record from a gateway whose spool
 * held it for days). Retention drops whole partitions: no DELETE, no bloat, no vacuum debt.
 */
import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from '../db/connect.js';

export const DAY_MS = 86_400_000;
const PARENT = 'analytics_requests';
const LEGACY = 'analytics_requests_legacy';
const NAME = /^analytics_requests_p(\d{4})(\d{2})(\d{2})$/;

/** Start (ms) of the UTC day holding `timeMs`. */
export const dayOf = (timeMs: number): number => Math.floor(timeMs / DAY_MS) * DAY_MS;

export function partitionName(dayMs: number): string {
  return `${PARENT}_p${new Date(dayMs).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

// Days known to have a partition, per database handle: ingest checks it without a round trip.
const known = new WeakMap<Database, Set<number>>();
const knownOf = (db: Database) => {
  let days = known.get(db);
  if (!days) {
    days = new Set();
    known.set(db, days);
  }
  return days;
};

/** Forgets what is cached (a partition was dropped, maybe by another replica). */
export function forgetPartitions(db: Database): void {
  known.delete(db);
}

/**
 * Makes sure each day has a partition. A day inside the legacy partition's range (the table as it
 * was before partitioning) needs none: PostgreSQL refuses the overlap, which is then fine.
 */
export async function ensurePartitions(db: Database, days: Iterable<number>): Promise<void> {
  const cache = knownOf(db);
  for (const day of days) {
    if (cache.has(day)) continue;
    const from = new Date(day).toISOString();
    const to = new Date(day + DAY_MS).toISOString();
    try {
      await db.execute(
        sql.raw(
          `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF ${PARENT} FOR VALUES FROM ('${from}') TO ('${to}')`,
        ),
      );
    } catch (error) {
      const code = errorCode(error);
      // 42P17: overlaps the legacy partition; 42P07 / 23505: another replica created it meanwhile.
      if (code !== '42P17' && code !== '42P07' && code !== '23505') throw error;
    }
    cache.add(day);
  }
}

export function errorCode(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}

async function partitions(db: Database): Promise<string[]> {
  return rowsOf<{ name: string }>(
    await db.execute(sql`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = ${PARENT}::regclass`),
  ).map((r) => r.name);
}

/**
 * Drops the partitions wholly older than `before` (and the legacy one once its newest record is);
 * answers their names. Rows are not counted: that would read a whole day.
 */
export async function dropPartitionsBefore(db: Database, before: Date): Promise<string[]> {
  const dropped: string[] = [];
  for (const name of await partitions(db)) {
    const match = NAME.exec(name);
    let expired: boolean;
    if (match)
      expired = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) + DAY_MS <= before.getTime();
    else if (name === LEGACY) {
      const [row] = rowsOf<{ latest: number | null }>(
        await db.execute(sql.raw(`SELECT (extract(epoch FROM max(time)) * 1000)::float8 AS latest FROM ${LEGACY}`)),
      );
      expired = row?.latest === null || row?.latest === undefined || Number(row.latest) < before.getTime();
    } else continue;
    if (!expired) continue;
    await db.execute(sql.raw(`DROP TABLE IF EXISTS ${name}`));
    dropped.push(name);
  }
  if (dropped.length > 0) forgetPartitions(db);
  return dropped;
}
