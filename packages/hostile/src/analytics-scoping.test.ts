/**
 * Analytics as a nosy consumer would read them: traffic of every application sits in the same
 * rollups, so each query must be narrowed to the caller's own applications before anything is
 * summed. A consumer must not see another's totals (overall, per bucket, per group), must not learn
 * that another's application exists, and cannot widen the filter by repeating or mangling query
 * parameters. A gateway reports into its own environment only. Real control plane on PostgreSQL.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type ControlPlane, startControlPlane } from '@gatehouse/control-plane';
import { silentLogger } from '@gatehouse/core';
import { serviceUrl } from '@gatehouse/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRaw, rawRequest } from './raw.js';

type Json = Record<string, any>;
const database = serviceUrl('DATABASE_URL');
const ADMIN = { email: 'analytics-admin@example.test', password: 'analytics-scoping-password-1' };
const BASE = Date.now() - 30 * 60_000;
const RANGE = `from=${new Date(BASE - 60_000).toISOString()}&to=${new Date(BASE + 10 * 60_000).toISOString()}`;

describe.skipIf(Boolean(database.skipReason))('analytics scoping', () => {
  let cp: ControlPlane;
  let schema: string;
  let admin: string;
  const env = '/api/v1/environments/default';
  const users: Record<'alice' | 'bob', { token: string; app: string }> = {} as never;
  let otherEnvApp: string;

  async function call(method: string, path: string, token: string, body?: unknown) {
    const res = await fetch(`${cp.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
  }
  async function login(email: string, password: string) {
    const res = await fetch(`${cp.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    return ((await res.json()) as Json).token as string;
  }
  const record = (application: string, i: number, status = 200) => ({
    id: randomUUID(),
    time: new Date(BASE + i * 1000).toISOString(),
    api: 'orders',
    plan: 'gold',
    application,
    subscription: null,
    method: 'GET',
    route: null,
    status,
    latencyMs: 5,
    upstreamLatencyMs: 4,
    bytesIn: 0,
    bytesOut: 10,
    clientIp: '203.0.113.0',
    errorCode: null,
  });

  beforeAll(async () => {
    schema = `gh_analytics_${randomBytes(5).toString('hex')}`;
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
    cp = await startControlPlane({
      port: 0,
      databaseUrl: database.url!,
      databaseSchema: schema,
      adminEmail: ADMIN.email,
      adminPassword: ADMIN.password,
      secretKey: { key: randomBytes(32).toString('base64') },
      logger: silentLogger(),
      analyticsRetentionMs: 0,
    });
    admin = await login(ADMIN.email, ADMIN.password);
    for (const name of ['alice', 'bob'] as const) {
      const email = `${name}-${randomUUID().slice(0, 6)}@example.test`;
      const password = `${name}-long-enough-password`;
      const user = await call('POST', '/api/v1/users', admin, { email, password });
      await call('POST', `${env}/members`, admin, { userId: user.body.id, role: 'consumer' });
      const token = await login(email, password);
      const app = await call('POST', `${env}/applications`, token, { name: `${name} app` });
      expect(app.status).toBe(201);
      users[name] = { token, app: app.body.id };
    }
    // A second environment whose gateway claims alice's application id in its records.
    expect((await call('POST', '/api/v1/environments', admin, { id: 'other', name: 'Other' })).status).toBe(201);
    otherEnvApp = users.alice.app;
    const gw = await call('POST', `${env}/gateways`, admin, { name: 'edge' });
    const otherGw = await call('POST', '/api/v1/environments/other/gateways', admin, { name: 'edge' });
    const records = [
      ...Array.from({ length: 3 }, (_, i) => record(users.alice.app, i)),
      ...Array.from({ length: 7 }, (_, i) => record(users.bob.app, 10 + i, i % 2 ? 500 : 200)),
      record('not-an-application', 30),
    ];
    expect((await call('POST', '/api/v1/gateway/analytics', gw.body.token, { records })).body.accepted).toBe(11);
    const foreign = Array.from({ length: 50 }, (_, i) => record(otherEnvApp, i));
    expect((await call('POST', '/api/v1/gateway/analytics', otherGw.body.token, { records: foreign })).status).toBe(
      202,
    );
  }, 120_000);

  afterAll(async () => {
    await cp?.close();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
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
        cp.port,
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
