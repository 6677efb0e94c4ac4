/**
 * The raw drill-down (`GET .../analytics/records`) as a nosy consumer, a cursor forger and a gateway
 * sending text made to break COPY would use it: a consumer pages through their own applications'
 * records only (not another's, not another environment's claiming the same application id), forged
 * cursors and unbounded ranges are 400 not 500, a route prefix is plain text (no wildcards), paging
 * returns each record once even with equal times, and stored text comes back byte for byte.
 * Real control plane on PostgreSQL (where ingest uses COPY).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer, HostileControlPlane, Json } from './support/control-plane.js';
import { analyticsRecord, BASE, database, RANGE, startHostileControlPlane } from './support/control-plane.js';

const ADMIN = { email: 'records-admin@example.test', password: 'records-scoping-password-1' };
const NASTY_ROUTE = 'GET /a\tb\nc\\.\n\\N\r"%_\u00e9';

describe.skipIf(Boolean(database.skipReason))('analytics raw records', () => {
  let h: HostileControlPlane;
  let admin: string;
  const env = '/api/v1/environments/default';
  let users: Record<'alice' | 'bob', Consumer>;
  const nasty = randomUUID();

  const call = (method: string, path: string, token: string, body?: unknown) => h.call(method, path, token, body);
  const record = (application: string, i: number, status = 200, route = 'GET /items/:id') =>
    analyticsRecord(application, BASE + i * 1000, { status, route });
  /** Every page of a query, following nextCursor. */
  async function all(query: string, token: string, limit = 2): Promise<Json[]> {
    const items: Json[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const res = await call(
        'GET',
        `${env}/analytics/records?${RANGE}&limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`,
        token,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
      if (!cursor) return items;
    }
    throw new Error('no last page');
  }

  beforeAll(async () => {
    h = await startHostileControlPlane(ADMIN);
    admin = h.adminToken;
    users = await h.consumers('alice', 'bob');
    const gateways = await h.gatewaysInTwoEnvironments();
    // Alice: three records at the same microsecond-precise time, two more; bob: six, half 5xx.
    const tie = new Date(BASE + 5000).toISOString().replace('Z', '123Z');
    const records = [
      ...Array.from({ length: 3 }, (_, i) => ({ ...record(users.alice.app, i), time: tie })),
      record(users.alice.app, 7),
      { ...record(users.alice.app, 8, 404, NASTY_ROUTE), id: nasty },
      ...Array.from({ length: 6 }, (_, i) => record(users.bob.app, 10 + i, i % 2 ? 500 : 200, 'POST /orders')),
    ];
    expect((await call('POST', '/api/v1/gateway/analytics', gateways.here, { records })).body.accepted).toBe(11);
    const foreign = Array.from({ length: 20 }, (_, i) => record(users.alice.app, i));
    expect((await call('POST', '/api/v1/gateway/analytics', gateways.other, { records: foreign })).status).toBe(202);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('pages each record exactly once, newest first, ties included; a consumer gets only their own', async () => {
    const everything = await all('', admin);
    expect(everything).toHaveLength(11);
    expect(new Set(everything.map((r) => r.id)).size).toBe(11);
    const times = everything.map((r) => r.time as string);
    expect([...times].sort().reverse()).toEqual(times);
    const alice = await all('', users.alice.token, 1);
    expect(alice).toHaveLength(5);
    expect(new Set(alice.map((r) => r.application))).toEqual(new Set([users.alice.app]));
    expect((await all('', users.bob.token)).every((r) => r.application === users.bob.app)).toBe(true);
    // Filters narrow, never widen.
    expect(await all('&statusClass=5xx', users.bob.token)).toHaveLength(3);
    expect(await all('&statusClass=5xx', users.alice.token)).toHaveLength(0);
    expect(await all(`&applicationId=${users.bob.app}`, admin)).toHaveLength(6);
  });

  it("another's application is not found, even with a cursor taken from its owner", async () => {
    const res = await call(
      'GET',
      `${env}/analytics/records?${RANGE}&applicationId=${users.bob.app}`,
      users.alice.token,
    );
    expect(res.status).toBe(404);
    const bobPage = await call('GET', `${env}/analytics/records?${RANGE}&limit=1`, users.bob.token);
    const withBobsCursor = await call(
      'GET',
      `${env}/analytics/records?${RANGE}&cursor=${bobPage.body.nextCursor}`,
      users.alice.token,
    );
    expect(withBobsCursor.status).toBe(200);
    expect(withBobsCursor.body.items.every((r: Json) => r.application === users.alice.app)).toBe(true);
  });

  it('forged cursors, unbounded ranges and bad filters are 400, never 500', async () => {
    const forge = (data: unknown) => Buffer.from(JSON.stringify(data)).toString('base64url');
    const cursors = [
      'not-a-cursor',
      forge({ s: '-time', v: "2026-01-01T00:00:00Z'; DROP TABLE analytics_requests; --", id: randomUUID() }),
      forge({ s: '-time', v: 'yesterday', id: randomUUID() }),
      forge({ s: '-time', v: '2026-01-01T00:00:00.000Z', id: "x' OR '1'='1" }),
      forge({ s: '-time', v: 12, id: randomUUID() }),
      forge({ s: 'time', v: '2026-01-01T00:00:00.000Z', id: randomUUID() }),
      forge({ s: '-time', v: '2026-01-01T00:00:00.000Z' }),
    ];
    for (const cursor of cursors) {
      const res = await call('GET', `${env}/analytics/records?${RANGE}&cursor=${cursor}`, users.alice.token);
      expect(res.status, cursor).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    for (const query of [
      'from=2026-01-01T00:00:00Z&to=2026-01-03T00:00:00Z',
      'from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
      `${RANGE}&limit=0`,
      `${RANGE}&limit=101`,
      `${RANGE}&statusClass=6xx`,
      `${RANGE}&routePrefix=`,
      `${RANGE}&apiId=orders'--`,
      `${RANGE}&sort=time`,
    ]) {
      const res = await call('GET', `${env}/analytics/records?${query}`, admin);
      expect(res.status, query).toBe(400);
    }
  });

  it('a route prefix is plain text: % and _ match themselves only', async () => {
    const q = (prefix: string) => all(`&routePrefix=${encodeURIComponent(prefix)}`, admin, 100);
    expect(await q('%')).toHaveLength(0);
    expect(await q('_')).toHaveLength(0);
    expect(await q('POST /')).toHaveLength(6);
    expect((await q('GET /a\tb')).map((r) => r.id)).toEqual([nasty]);
  });

  it('text made to break COPY (tabs, newlines, \\., \\N, quotes) is stored and read back as sent', async () => {
    const [stored] = (await all('&statusClass=4xx', admin)).filter((r) => r.id === nasty);
    expect(stored?.route).toBe(NASTY_ROUTE);
    expect(stored?.clientIp).toBe('203.0.113.0');
    expect(stored?.subscription).toBeNull();
  });
});
