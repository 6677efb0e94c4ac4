import { randomUUID } from 'node:crypto';
import { silentLogger } from '@gatehouse/core';
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../db/connect.js';
import { analyticsRequests, environments } from '../db/schema.js';
import { analyticsRetentionFromEnv } from '../server.js';
import { createHarness, describeOnBackends, type Harness } from '../test-support/harness.js';
import { ingestAnalytics } from './analytics-ingest.js';
import { partitionName } from './analytics-partitions.js';
import { pruneAnalytics, startRetention } from './retention.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-30T12:00:00Z');

describe('GATEHOUSE_ANALYTICS_RETENTION', () => {
  it('is a duration, 0/off for forever, 30 days when unset; anything else is refused at start', () => {
    expect(analyticsRetentionFromEnv(undefined)).toBe(30 * DAY);
    expect(analyticsRetentionFromEnv(' ')).toBe(30 * DAY);
    expect(analyticsRetentionFromEnv('7d')).toBe(7 * DAY);
    expect(analyticsRetentionFromEnv('12h')).toBe(12 * 3_600_000);
    expect(analyticsRetentionFromEnv('0')).toBe(0);
    expect(analyticsRetentionFromEnv('OFF')).toBe(0);
    expect(() => analyticsRetentionFromEnv('a month')).toThrow(/GATEHOUSE_ANALYTICS_RETENTION/);
  });
});

describeOnBackends('analytics retention', (backend) => {
  let h: Harness;
  let envId: string;
  beforeAll(async () => {
    h = await createHarness(backend);
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    await h.reset();
    const [env] = await h.db.select({ id: environments.id }).from(environments).where(eq(environments.slug, 'default'));
    envId = env!.id;
  });

  /** Records `daysAgo` days before NOW, one per entry, ingested as a gateway sends them. */
  async function records(...daysAgo: number[]): Promise<void> {
    const result = await ingestAnalytics(
      h.db,
      { id: randomUUID(), envId },
      daysAgo.map((days) => ({
        id: randomUUID(),
        time: new Date(NOW - days * DAY).toISOString(),
        method: 'GET',
        status: 200,
        latencyMs: 1,
      })),
      NOW,
    );
    expect(result.accepted).toBe(daysAgo.length);
  }

  /** Requests counted by the day rollups, per age in days. */
  async function rolledUp(): Promise<number[]> {
    const rows = rowsOf<{ t: number; count: number }>(
      await h.db.execute(
        sql`SELECT extract(epoch FROM bucket)::float8 * 1000 AS t, count FROM analytics_rollups WHERE grain = 86400`,
      ),
    );
    return rows
      .flatMap((r) => Array.from({ length: Number(r.count) }, () => Math.floor((NOW - Number(r.t)) / DAY)))
      .sort((a, b) => a - b);
  }

  async function ages(): Promise<number[]> {
    const rows = await h.db.select({ time: analyticsRequests.time }).from(analyticsRequests);
    return rows.map((r) => Math.round((NOW - r.time.getTime()) / DAY)).sort((a, b) => a - b);
  }

  it('drops the partitions wholly older than the cutoff, deletes older rollups in batches, keeps the rest', async () => {
    await records(1, 5, 29, 31, 31, 40, 40, 90);
    const dayOf = (days: number) => Math.floor((NOW - days * DAY) / DAY) * DAY;
    const result = await pruneAnalytics(h.db, new Date(NOW - 30 * DAY), 2);
    expect(result.skipped).toBe(false);
    expect(result.partitions.sort()).toEqual([31, 40, 90].map((d) => partitionName(dayOf(d))).sort());
    // Minute, hour and day rows of the three days past the cutoff.
    expect(result.rollups).toBe(9);
    expect(await ages()).toEqual([1, 5, 29]);
    // The day row of 29 days ago ends after the cutoff (NOW - 30 days is noon): it stays.
    expect(await rolledUp()).toEqual([1, 5, 29]);
    expect(await pruneAnalytics(h.db, new Date(NOW - 30 * DAY), 2)).toEqual({
      partitions: [],
      rollups: 0,
      skipped: false,
    });
  });

  it('the job prunes right after start and on its interval; stop() waits for a pass under way', async () => {
    await records(2, 10);
    let now = NOW;
    const job = startRetention(h.db, {
      analyticsRetentionMs: 7 * DAY,
      intervalMs: 50,
      logger: silentLogger(),
      now: () => now,
    });
    try {
      await expect.poll(ages, { timeout: 5000 }).toEqual([2]);
      now += 6 * DAY; // the 2-day-old record is now 8 days old
      await expect.poll(ages, { timeout: 5000 }).toEqual([]);
      await records(1);
      const pass = job.runOnce();
      await job.stop();
      expect((await pass).skipped).toBe(false);
    } finally {
      await job.stop();
    }
  });

  it("keeps everything when the retention is 0, and still creates the next days' partitions", async () => {
    await records(400);
    const job = startRetention(h.db, {
      analyticsRetentionMs: 0,
      intervalMs: 10,
      logger: silentLogger(),
      now: () => NOW,
    });
    const expected = [0, 1, 2].map((d) => partitionName(Math.floor(NOW / DAY) * DAY + d * DAY));
    const names = async () =>
      rowsOf<{ name: string }>(
        await h.db.execute(sql`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'analytics_requests'::regclass`),
      ).map((r) => r.name);
    await expect.poll(names, { timeout: 5000 }).toEqual(expect.arrayContaining(expected));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await job.stop();
    expect(await ages()).toEqual([400]);
  });

  // PGlite has one connection: nothing else can hold the lock there.
  if (backend.name === 'postgres')
    it('leaves the work to the replica holding the lock (two connections)', async () => {
      await records(100);
      const schema = rowsSchema(await h.db.execute(sql`SELECT current_schema() AS schema`));
      const other = new pg.Client({ connectionString: backend.url });
      await other.connect();
      try {
        await other.query(`SET search_path TO ${schema}`);
        await other.query('BEGIN');
        await other.query('SELECT pg_advisory_xact_lock(4770003)');
        expect(await pruneAnalytics(h.db, new Date(NOW - DAY))).toEqual({ partitions: [], rollups: 0, skipped: true });
        expect(await ages()).toEqual([100]);
        await other.query('COMMIT');
        const result = await pruneAnalytics(h.db, new Date(NOW - DAY));
        // (Partitions of earlier tests' old records go too: reset() empties tables, it does not drop them.)
        expect(result).toMatchObject({ rollups: 3, skipped: false });
        expect(result.partitions).toContain(partitionName(Math.floor((NOW - 100 * DAY) / DAY) * DAY));
        expect(await ages()).toEqual([]);
      } finally {
        await other.end();
      }
    });
});

function rowsSchema(result: unknown): string {
  return (result as { rows: Array<{ schema: string }> }).rows[0]!.schema;
}
