/**
 * Analytics as a nosy consumer would read them: traffic of every application sits in the same
 * rollups, so each query must be narrowed to the caller's own applications before anything is
 * summed. A consumer must not see another's totals (overall, per bucket, per group), must not learn
 * that another's application exists, and cannot widen the filter by repeating or mangling query
 * parameters. A gateway reports into its own environment only. Real control plane on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRaw, rawRequest } from './raw.js';
import type { Consumer, HostileControlPlane, Json } from './support/control-plane.js';
import { analyticsRecord, BASE, database, RANGE, startHostileControlPlane } from './support/control-plane.js';

const ADMIN = { email: 'analytics-admin@example.test', password: 'analytics-scoping-password-1' };

describe.skipIf(Boolean(database.skipReason))('analytics scoping', () => {
  let h: HostileControlPlane;
  let admin: string;
  const env = '/api/v1/environments/default';
  let users: Record<'alice' | 'bob', Consumer>;
  let otherEnvApp: string;

  const call = (method: string, path: string, token: string, body?: unknown) => h.call(method, path, token, body);
  const record = (application: string, i: number, status = 200) =>
    analyticsRecord(application, BASE + i * 1000, { status });

  beforeAll(async () => {
    h = await startHostileControlPlane(ADMIN);
    admin = h.adminToken;
    users = await h.consumers('alice', 'bob');
    // A second environment whose gateway claims alice's application id in its records.
    otherEnvApp = users.alice.app;
    const gateways = await h.gatewaysInTwoEnvironments();
    const records = [
      ...Array.from({ length: 3 }, (_, i) => record(users.alice.app, i)),
      ...Array.from({ length: 7 }, (_, i) => record(users.bob.app, 10 + i, i % 2 ? 500 : 200)),
      record('not-an-application', 30),
    ];
    expect((await call('POST', '/api/v1/gateway/analytics', gateways.here, { records })).body.accepted).toBe(11);
    const foreign = Array.from({ length: 50 }, (_, i) => record(otherEnvApp, i));
    expect((await call('POST', '/api/v1/gateway/analytics', gateways.other, { records: foreign })).status).toBe(202);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('a consumer sees only their own applications, overall, per bucket and per group', async () => {
    for (const groupBy of ['application', 'api', 'plan', 'status']) {
      const mine = await call('GET', `${env}/analytics/requests?${RANGE}&groupBy=${groupBy}`, users.alice.token);
      expect(mine.status).toBe(200);
      // Not the other environment's 50 records that claim alice's application either.
      expect(mine.body.total).toBe(3);
      expect(mine.body.buckets.reduce((n: number, b: Json) => n + b.total, 0)).toBe(3);
      expect(mine.body.groups.reduce((n: number, g: Json) => n + g.total, 0)).toBe(3);
      if (groupBy === 'application') expect(mine.body.groups.map((g: Json) => g.key)).toEqual([users.alice.app]);
      expect(mine.body.byStatusClass['5xx']).toBe(0);
    }
    const everything = await call('GET', `${env}/analytics/requests?${RANGE}`, admin);
    expect(everything.body.total).toBe(11);
  });

  it("another consumer's application is not found, by id or by case games", async () => {
    for (const id of [users.bob.app, users.bob.app.toUpperCase()]) {
      const res = await call('GET', `${env}/analytics/requests?${RANGE}&applicationId=${id}`, users.alice.token);
      expect([400, 404]).toContain(res.status);
      expect(JSON.stringify(res.body)).not.toMatch(/"total"/);
    }
  });

  it('repeated or injected parameters cannot widen the filter', async () => {
    const q = (extra: string) =>
      rawRequest(
        h.cp.port,
        `GET ${env}/analytics/requests?${RANGE}${extra} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${users.alice.token}\r\nConnection: close\r\n\r\n`,
      ).then((answer) => parseRaw(answer.text));
    for (const extra of [
      `&applicationId=${users.alice.app}&applicationId=${users.bob.app}`,
      `&applicationId=${users.bob.app}&applicationId=${users.alice.app}`,
      `&apiId=orders'%20OR%20'1'='1`,
      '&apiId[]=orders',
      '&groupBy=application&groupBy=api',
      '&interval=1m&from=2000-01-01T00:00:00Z',
    ]) {
      const res = await q(extra);
      if (res.status === 200) expect((JSON.parse(res.body) as Json).total).toBeLessThanOrEqual(3);
      else expect(res.status).toBeGreaterThanOrEqual(400);
    }
  });
});
