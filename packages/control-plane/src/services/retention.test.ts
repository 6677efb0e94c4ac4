import { randomUUID } from 'node:crypto';
import { silentLogger } from '@gatehouse/core';
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { analyticsRequests, environments } from '../db/schema.js';
import { analyticsRetentionFromEnv } from '../server.js';
import { createHarness, describeOnBackends, type Harness } from '../test-support/harness.js';
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

  /** Records `daysAgo` days before NOW, one per entry. */
  async function records(...daysAgo: number[]): Promise<void> {
    await h.db.insert(analyticsRequests).values(
      daysAgo.map((days) => ({
        id: randomUUID(),
        envId,
        time: new Date(NOW - days * DAY),
        method: 'GET',
        status: 200,
        latencyMs: 1,
      })),
    );
  }

  async function ages(): Promise<number[]> {
    const rows = await h.db.select({ time: analyticsRequests.time }).from(analyticsRequests);
    return rows.map((r) => Math.round((NOW - r.time.getTime()) / DAY)).sort((a, b) => a - b);
  }

  it('deletes the records older than the cutoff in batches and keeps the rest', async () => {
    await records(1, 5, 29, 31, 31, 40, 40, 90);
    const result = await pruneAnalytics(h.db, new Date(NOW - 30 * DAY), 2);
    expect(result).toEqual({ deleted: 5, skipped: false });
    expect(await ages()).toEqual([1, 5, 29]);
    expect(await pruneAnalytics(h.db, new Date(NOW - 30 * DAY), 2)).toEqual({ deleted: 0, skipped: false });
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

  it('keeps everything when the retention is 0 (no job)', async () => {
    await records(400);
    const job = startRetention(h.db, { analyticsRetentionMs: 0, intervalMs: 10, logger: silentLogger() });
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
        expect(await pruneAnalytics(h.db, new Date(NOW - DAY))).toEqual({ deleted: 0, skipped: true });
        expect(await ages()).toEqual([100]);
        await other.query('COMMIT');
        expect(await pruneAnalytics(h.db, new Date(NOW - DAY))).toEqual({ deleted: 1, skipped: false });
      } finally {
        await other.end();
      }
    });
});

function rowsSchema(result: unknown): string {
  return (result as { rows: Array<{ schema: string }> }).rows[0]!.schema;
}
