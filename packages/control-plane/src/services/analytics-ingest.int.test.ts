/**
 * Ingest exactness on both backends (COPY from STDIN on PostgreSQL, from a Blob on PGlite): replays and partial
 * replays count once, rollups of every grain equal the raw rows, text survives COPY's escaping, and
 * a record breaking the protocol schema stores nothing. Plus: the compiled record check agrees with
 * Ajv over the protocol schema.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AnalyticsRecord as RecordSchema } from '@gatehouse/config';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase, rowsOf } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import { validatorCompiler } from '../http/validation.js';
import { describeOnBackends } from '../test-support/harness.js';
import { ingestAnalytics } from './analytics-ingest.js';
import { checkRecord } from './analytics-record-check.js';

const ORG = randomUUID();
const ENV = randomUUID();
const BASE = Date.parse('2026-06-30T12:00:00Z');
const NOW = BASE + 3_600_000;

const record = (i: number, overrides: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  time: new Date(BASE + i * 7_000).toISOString(),
  api: `api-${i % 3}`,
  plan: null,
  application: i % 2 ? 'app-a' : null,
  method: 'GET',
  route: 'GET /items/:id',
  status: i % 5 === 0 ? 503 : 200,
  latencyMs: 0.5 + i,
  errorCode: i % 5 === 0 ? 'upstream_unavailable' : null,
  ...overrides,
});

describeOnBackends('analytics ingest', (backend) => {
  let handle: DatabaseHandle;
  let schema: string | undefined;
  const gateway = { id: randomUUID(), envId: ENV };

  beforeAll(async () => {
    if (backend.name === 'postgres') {
      schema = `gh_test_${randomBytes(6).toString('hex')}`;
      const client = new pg.Client({ connectionString: backend.url });
      await client.connect();
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.end();
    }
    handle = await openDatabase({ databaseUrl: backend.url, searchPath: schema, poolSize: 2 });
    await migrate(handle.db);
    await handle.db.execute(sql`INSERT INTO organizations (id, slug, name) VALUES (${ORG}, 'o', 'O')`);
    await handle.db.execute(sql`INSERT INTO environments (id, org_id, slug, name) VALUES (${ENV}, ${ORG}, 'e', 'E')`);
  }, 180_000);
  afterAll(async () => {
    if (schema) await handle?.db.execute(sql.raw(`DROP SCHEMA ${schema} CASCADE`));
    await handle?.close();
  });

  /** Raw rows and each grain's rollup count (and histogram total), per status. */
  async function totals() {
    const raw = rowsOf<{ status: number; n: string }>(
      await handle.db.execute(sql`SELECT status, count(*) AS n FROM analytics_requests GROUP BY 1 ORDER BY 1`),
    ).map((r) => [Number(r.status), Number(r.n)]);
    const grains = rowsOf<{ grain: number; status: number; n: string; h: string; e: string }>(
      await handle.db.execute(sql`SELECT grain, status, sum(count) AS n, sum(errors) AS e,
        sum((SELECT sum(x) FROM unnest(latency_hist) AS x)) AS h FROM analytics_rollups GROUP BY 1, 2 ORDER BY 1, 2`),
    );
    for (const grain of [60, 3600, 86_400]) {
      const rows = grains.filter((g) => Number(g.grain) === grain);
      expect(rows.map((r) => [Number(r.status), Number(r.n)])).toEqual(raw);
      expect(rows.map((r) => [Number(r.status), Number(r.h)])).toEqual(raw);
    }
    return raw;
  }

  it('counts a batch once, whether resent whole, in part, or with a record twice in it', async () => {
    const batch = Array.from({ length: 40 }, (_, i) => record(i));
    expect(await ingestAnalytics(handle.protocolDb, gateway, batch, NOW)).toEqual({
      accepted: 40,
      duplicates: 0,
      rejected: 0,
    });
    expect(await totals()).toEqual([
      [200, 32],
      [503, 8],
    ]);
    expect(await ingestAnalytics(handle.protocolDb, gateway, batch, NOW)).toEqual({
      accepted: 0,
      duplicates: 40,
      rejected: 0,
    });
    // Half old, half new, one new record twice, one dated a week ahead.
    const fresh = Array.from({ length: 10 }, (_, i) => record(100 + i));
    const mixed = [
      ...batch.slice(0, 20),
      ...fresh,
      fresh[3]!,
      record(1, { time: new Date(NOW + 7 * 86_400_000).toISOString() }),
    ];
    expect(await ingestAnalytics(handle.protocolDb, gateway, mixed, NOW)).toEqual({
      accepted: 10,
      duplicates: 21,
      rejected: 1,
    });
    expect(await totals()).toEqual([
      [200, 40],
      [503, 10],
    ]);
    const errors = rowsOf<{ e: string }>(
      await handle.db.execute(sql`SELECT sum(errors) AS e FROM analytics_rollups WHERE grain = 60`),
    );
    expect(Number(errors[0]!.e)).toBe(10);
  });

  it('stores text as sent (tabs, newlines, backslashes, quotes, non-ASCII) and nulls as nulls', async () => {
    const odd = record(0, {
      route: 'GET /a\tb\nc\\d\re "q" \\N é 漢',
      clientIp: '\\N',
      upstreamLatencyMs: null,
      bytesIn: 12,
      time: new Date(BASE + 999).toISOString(),
    });
    expect((await ingestAnalytics(handle.protocolDb, gateway, [odd], NOW)).accepted).toBe(1);
    const [row] = rowsOf<Record<string, unknown>>(
      await handle.db.execute(
        sql`SELECT route, client_ip, upstream_latency_ms, bytes_in, plan FROM analytics_requests WHERE id = ${odd.id}`,
      ),
    );
    expect({ ...row, bytes_in: Number(row?.bytes_in) }).toEqual({
      route: odd.route,
      client_ip: '\\N',
      upstream_latency_ms: null,
      bytes_in: 12,
      plan: null,
    });
  });

  it('refuses a batch with a record breaking the schema, storing none of it', async () => {
    const before = await totals();
    const batch = [record(500), record(501, { status: 'nope' })];
    await expect(ingestAnalytics(handle.protocolDb, gateway, batch, NOW)).rejects.toMatchObject({
      code: 'validation_failed',
      detail: 'body.records[1].status must be integer',
    });
    expect(await totals()).toEqual(before);
  });
});

describe('the compiled record check', () => {
  const ajv = validatorCompiler({ schema: RecordSchema, httpPart: 'body', method: 'POST', url: '/' }) as (
    value: unknown,
  ) => boolean;
  it('accepts and refuses what Ajv does over the protocol schema', () => {
    const cases: unknown[] = [
      record(1),
      record(1, { id: 'not-a-uuid' }),
      record(1, { id: randomUUID().toUpperCase() }),
      record(1, { time: '2026-06-30' }),
      record(1, { time: '2026-06-30T12:00:00+02:00' }),
      record(1, { status: 99 }),
      record(1, { status: 200.5 }),
      record(1, { latencyMs: -1 }),
      record(1, { latencyMs: '1' }),
      record(1, { api: 'x'.repeat(201) }),
      record(1, { api: undefined, plan: undefined }),
      record(1, { method: '' }),
      record(1, { bytesOut: 1.5 }),
      record(1, { extra: { nested: true } }),
      { ...record(1), method: undefined },
      null,
      [],
    ];
    for (const value of cases) {
      let ours: boolean;
      try {
        checkRecord(value, 0);
        ours = true;
      } catch {
        ours = false;
      }
      expect(ours, JSON.stringify(value)).toBe(ajv(value));
    }
  });
  it('refuses days PostgreSQL would refuse (V8 rolls 30 February over to March)', () => {
    expect(() => checkRecord(record(1, { time: '2026-02-30T00:00:00Z' }), 3)).toThrow(/records\[3\]\.time/);
    expect(() => checkRecord(record(1, { time: '2026-04-31T00:00:00Z' }), 0)).toThrow();
    expect(checkRecord(record(1, { time: '2028-02-29T00:00:00Z' }), 0)).toBe(Date.parse('2028-02-29T00:00:00Z'));
  });
});
