/**
 * Migration 8 on a database that already holds analytics: the old table becomes the first
 * partition (no copy), its records are rolled up, ingest goes on around it, and retention drops it
 * whole once everything in it is past.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestAnalytics } from '../services/analytics-ingest.js';
import { DAY_MS, dayOf, dropPartitionsBefore, partitionName } from '../services/analytics-partitions.js';
import { bucketOf } from '../services/latency-histogram.js';
import { describeOnBackends } from '../test-support/harness.js';
import { type DatabaseHandle, openDatabase, rowsOf } from './connect.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations.js';

const ORG = randomUUID();
const ENV = randomUUID();

describeOnBackends('analytics migration with existing records', (backend) => {
  let handle: DatabaseHandle;
  let schema: string | undefined;
  const now = Date.now();
  const latencies = [0.01, 0.7, 3, 3.2, 250];

  beforeAll(async () => {
    if (backend.name === 'postgres') {
      schema = `gh_test_${randomBytes(6).toString('hex')}`;
      const client = new pg.Client({ connectionString: backend.url });
      await client.connect();
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.end();
    }
    handle = await openDatabase({ databaseUrl: backend.url, searchPath: schema, poolSize: 2 });
    const db = handle.db;
    await migrate(
      db,
      MIGRATIONS.filter((m) => m.version <= 5),
    );
    await db.execute(sql`INSERT INTO organizations (id, slug, name) VALUES (${ORG}, 'o', 'O')`);
    await db.execute(sql`INSERT INTO environments (id, org_id, slug, name) VALUES (${ENV}, ${ORG}, 'e', 'E')`);
    for (const [i, latency] of latencies.entries()) {
      await db.execute(sql`INSERT INTO analytics_requests (id, env_id, time, api, method, status, latency_ms, error_code)
        VALUES (${randomUUID()}, ${ENV}, ${new Date(now - 2 * DAY_MS + i).toISOString()}::timestamptz, 'orders', 'GET',
          ${i === 4 ? 503 : 200}, ${latency}, ${i === 4 ? 'upstream_timeout' : null})`);
    }
    await migrate(db);
  }, 180_000);
  afterAll(async () => {
    if (schema) await handle?.db.execute(sql.raw(`DROP SCHEMA ${schema} CASCADE`));
    await handle?.close();
  });

  const partitions = async () =>
    rowsOf<{ name: string }>(
      await handle.db.execute(sql`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'analytics_requests'::regclass ORDER BY 1`),
    ).map((r) => r.name);

  it('keeps the old records as the legacy partition and rolls them up with the same histogram', async () => {
    expect(await partitions()).toEqual(['analytics_requests_legacy']);
    const rows = rowsOf<{ grain: number; status: number; count: string; errors: string; hist: number[] }>(
      await handle.db.execute(
        sql`SELECT grain, status, count, errors, latency_hist AS hist FROM analytics_rollups ORDER BY grain, status`,
      ),
    );
    expect(rows.map((r) => [r.grain, r.status, Number(r.count), Number(r.errors)])).toEqual([
      [60, 200, 4, 0],
      [60, 503, 1, 1],
      [3600, 200, 4, 0],
      [3600, 503, 1, 1],
      [86_400, 200, 4, 0],
      [86_400, 503, 1, 1],
    ]);
    for (const row of rows) {
      const expected = new Array(96).fill(0);
      for (const [i, latency] of latencies.entries())
        if ((i === 4) === (row.status === 503)) expected[bucketOf(latency)]++;
      expect(row.hist.map(Number)).toEqual(expected);
    }
  });

  it('ingests around it (today is still the legacy range; tomorrow gets its own partition), then drops it whole', async () => {
    const gateway = { id: randomUUID(), envId: ENV };
    const record = (time: number) => ({
      id: randomUUID(),
      time: new Date(time).toISOString(),
      method: 'GET',
      status: 200,
      latencyMs: 1,
    });
    const tomorrow = dayOf(now) + DAY_MS;
    const result = await ingestAnalytics(handle.db, gateway, [record(now), record(tomorrow + 60_000)], now);
    expect(result).toEqual({ accepted: 2, duplicates: 0, rejected: 0 });
    expect(await partitions()).toEqual(['analytics_requests_legacy', partitionName(tomorrow)]);
    // Not yet: today's record is newer than the cutoff.
    expect(await dropPartitionsBefore(handle.db, new Date(now - DAY_MS))).toEqual([]);
    expect(await dropPartitionsBefore(handle.db, new Date(now + 1))).toEqual(['analytics_requests_legacy']);
    // Gone with it, the partition is recreated on demand for a late record of that range.
    expect((await ingestAnalytics(handle.db, gateway, [record(now - 3 * DAY_MS)], now)).accepted).toBe(1);
    expect(await partitions()).toContain(partitionName(dayOf(now - 3 * DAY_MS)));
  });

  it('leaves the raw table and its new partitions without a foreign key (migration 11: none checked per record)', async () => {
    const keys = rowsOf<{ table: string }>(
      await handle.db.execute(sql`SELECT c.conrelid::regclass::text AS table FROM pg_constraint c
        WHERE c.contype = 'f' AND c.conrelid IN (SELECT 'analytics_requests'::regclass
          UNION ALL SELECT inhrelid FROM pg_inherits WHERE inhparent = 'analytics_requests'::regclass)
          AND c.conrelid::regclass::text <> 'analytics_requests_legacy'`),
    );
    expect(keys).toEqual([]);
  });
});
