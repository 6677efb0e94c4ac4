/**
 * Hybrid mode, control-plane side (docs/hybrid-protocol.md), on PGlite and (with DATABASE_URL)
 * PostgreSQL. One control plane per backend; each test works in its own environment so tests
 * stay independent without resetting the database.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import {
  acceptedProtocols,
  EXPECT_CURSOR_HEADER,
  keyRing,
  PROTOCOL_HEADER,
  type SyncMessage,
  trustedKey,
  verifyMessage,
} from '@gatehouse/config';
import { hashApiKey } from '@gatehouse/core';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SWEEP_INTERVAL_MS } from './auth/gateway-token-sweep.js';
import { measureDeltaBytes } from './bench/delta-bytes.js';
import { gateways } from './db/schema.js';
import { createDemoSetup } from './demo.js';
import { createHarness, describeOnBackends, type Harness } from './test-support/harness.js';

const HEARTBEAT_MS = 250;
const GW = '/api/v1/gateway';

type Json = Record<string, any>;

describeOnBackends('hybrid mode', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backend, { heartbeatIntervalMs: HEARTBEAT_MS });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A fresh environment with an API (api-key plan `gold`) deployed; answers its base URL. */
  async function environment(apiTags: string[] = [], policies: Json[] = []): Promise<string> {
    const slug = `env-${randomUUID().slice(0, 8)}`;
    expect((await h.call('POST', '/api/v1/environments', { body: { id: slug } })).statusCode).toBe(201);
    const env = `/api/v1/environments/${slug}`;
    const api = await h.call('POST', `${env}/apis`, {
      body: {
        id: 'orders',
        name: 'Orders',
        basePath: '/orders',
        upstream: { targets: [{ url: 'http://127.0.0.1:9' }] },
        shardingTags: apiTags,
        policies,
        lifecycle: 'published',
        visibility: 'public',
      },
    });
    expect(api.statusCode, api.body).toBe(201);
    await h.call('POST', `${env}/apis/orders/plans`, { body: { id: 'gold', security: { type: 'api-key' } } });
    return env;
  }
  async function deploy(env: string, api = 'orders') {
    return h.call('POST', `${env}/apis/${api}/deployments`, { body: {} });
  }
  async function gateway(env: string, name: string, tags: string[] = []) {
    const res = await h.call('POST', `${env}/gateways`, { body: { name, tags } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string; token: string }>();
  }
  async function subscribedApp(env: string) {
    const appId = (await h.call('POST', `${env}/applications`, { body: { name: 'App' } })).json<Json>().id;
    const sub = await h.call('POST', `${env}/applications/${appId}/subscriptions`, {
      body: { apiId: 'orders', planId: 'gold' },
    });
    expect(sub.statusCode, sub.body).toBe(201);
    return { appId: appId as string, subId: sub.json<Json>().id as string };
  }
  const sync = async (token: string, cursor?: string) =>
    h.call('GET', `${GW}/sync${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
  const heartbeat = (token: string, body: Json = {}) =>
    h.call('POST', `${GW}/heartbeat`, { token, body: { instanceId: randomUUID(), version: '0.1.0', ...body } });

  function verifies(message: Json, publicKeyPem: string): boolean {
    return verifyMessage(message as SyncMessage, keyRing([trustedKey(publicKeyPem)])).ok;
  }

  it('declares the protocol request headers of GET /sync in the OpenAPI document, from the protocol module', async () => {
    const doc = (await h.call('GET', '/api/v1/openapi.json', { token: null })).json<Json>();
    const parameters = doc.paths[`${GW}/sync`].get.parameters as Json[];
    const headers = Object.fromEntries(parameters.filter((p) => p.in === 'header').map((p) => [p.name, p]));
    expect(Object.keys(headers).sort()).toEqual([EXPECT_CURSOR_HEADER, PROTOCOL_HEADER].sort());
    expect(headers[PROTOCOL_HEADER]).toMatchObject({ required: false, schema: { type: 'string' } });
    // The example is this build's list (whatever versions it speaks), not a set written into the text.
    expect(headers[PROTOCOL_HEADER].example).toBe(acceptedProtocols());
    expect(headers[PROTOCOL_HEADER].description).toMatch(/protocol versions this gateway accepts/);
    expect(headers[EXPECT_CURSOR_HEADER]).toMatchObject({ required: false, schema: { type: 'string' } });
    expect(headers[EXPECT_CURSOR_HEADER].description).toMatch(/`changed` event announced/);
  });

  it('authenticates gateways by token; rotation keeps the old token for the grace period; revocation is 401', async () => {
    const env = await environment();
    const gw = await gateway(env, 'edge');
    expect((await sync(gw.token)).statusCode).toBe(200);
    expect((await sync(`${gw.token}x`)).statusCode).toBe(401);

    const rotated = await h.call('POST', `${env}/gateways/${gw.id}/rotate-token`, { body: { gracePeriod: '1h' } });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const second = rotated.json<Json>().token as string;
    expect(second).not.toBe(gw.token);
    expect(rotated.json<Json>().previousTokenExpiresAt).not.toBeNull();
    expect((await sync(gw.token)).statusCode).toBe(200); // grace period
    expect((await sync(second)).statusCode).toBe(200);

    const third = (
      await h.call('POST', `${env}/gateways/${gw.id}/rotate-token`, { body: { gracePeriod: '0s' } })
    ).json<Json>().token as string;
    expect((await sync(gw.token)).statusCode).toBe(401);
    expect((await sync(second)).statusCode).toBe(401);
    expect((await sync(third)).statusCode).toBe(200);

    const revoked = await h.call('POST', `${env}/gateways/${gw.id}/revoke`);
    expect(revoked.json<Json>().status).toBe('revoked');
    const after = await sync(third);
    expect(after.statusCode).toBe(401);
    expect(after.headers['content-type']).toContain('application/problem+json');
    expect(after.json<Json>().code).toBe('unauthorized');
    expect((await heartbeat(third)).statusCode).toBe(401);

    const other = await gateway(env, 'edge-2');
    expect((await h.call('DELETE', `${env}/gateways/${other.id}`)).statusCode).toBe(204);
    expect((await sync(other.token)).statusCode).toBe(401);
    // Tokens never show up in lists or the audit trail.
    const listed = (await h.call('GET', `${env}/gateways`)).body + (await h.call('GET', `${env}/audit`)).body;
    for (const token of [gw.token, second, third, other.token]) expect(listed).not.toContain(token);
  });

  it('drops a cached token rotated without an event (an older replica) within the sweep interval', async () => {
    const env = await environment();
    const gw = await gateway(env, 'mixed');
    expect((await sync(gw.token)).statusCode).toBe(200); // now cached on this replica
    // What an older build's rotation does to the row: new hash, no grace, row version bumped, no event.
    await h.db
      .update(gateways)
      .set({ tokenHash: 'a'.repeat(64), previousTokenHash: null, rowVersion: sql`${gateways.rowVersion} + 1` })
      .where(eq(gateways.id, gw.id));
    const deadline = Date.now() + 4 * SWEEP_INTERVAL_MS;
    let status = (await sync(gw.token)).statusCode;
    while (status !== 401 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await sync(gw.token)).statusCode;
    }
    // Refused long before the cache's own 60 s limit (counted by the loop's deadline, not timed).
    expect(status).toBe(401);
  });

  it('syncs a signed snapshot, then credential deltas, then unchanged; sharding by tags', async () => {
    const env = await environment();
    expect((await deploy(env)).statusCode).toBe(201);
    const { appId, subId } = await subscribedApp(env);
    const first = (await h.call('POST', `${env}/subscriptions/${subId}/api-keys`)).json<Json>();
    const gw = await gateway(env, 'edge');
    const key = (await h.call('GET', `${GW}/signing-key`, { token: gw.token })).json<Json>();
    expect(key).toMatchObject({ alg: 'Ed25519', keyId: expect.any(String) });
    expect(key.publicKeyPem).toContain('BEGIN PUBLIC KEY');
    expect(JSON.stringify(key)).not.toContain('PRIVATE');

    const snap = (await sync(gw.token)).json<Json>();
    expect(snap.kind).toBe('snapshot');
    expect(snap.cursor).toMatch(/^c:\d+$/);
    expect(snap.signatures).toContainEqual(expect.objectContaining({ alg: 'Ed25519', keyId: key.keyId }));
    // Bound to this gateway and position (docs/hybrid-protocol.md): replays elsewhere or later are refused.
    expect(snap).toMatchObject({ protocol: 2, gateway: gw.id, environment: expect.any(String) });
    expect(Date.parse(snap.issuedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(verifies(snap, key.publicKeyPem)).toBe(true);
    expect(verifies({ ...snap, cursor: 'c:999999' }, key.publicKeyPem)).toBe(false);
    expect(snap.document.apis.map((a: Json) => a.id)).toEqual(['orders']);
    expect(snap.document.applications[0].subscriptions[0].apiKeys).toEqual([
      { id: first.id, keyHash: hashApiKey(first.key) },
    ]);
    expect(JSON.stringify(snap)).not.toContain(first.key);

    const same = (await sync(gw.token, snap.cursor)).json<Json>();
    expect(same).toMatchObject({ kind: 'unchanged', cursor: snap.cursor });
    expect(verifies(same, key.publicKeyPem)).toBe(true);

    const second = (await h.call('POST', `${env}/subscriptions/${subId}/api-keys`)).json<Json>();
    const delta = (await sync(gw.token, snap.cursor)).json<Json>();
    expect(delta).toMatchObject({
      kind: 'delta',
      fromCursor: snap.cursor,
      definitionVersion: snap.definitionVersion,
      applications: { delete: [] },
    });
    expect(verifies(delta, key.publicKeyPem)).toBe(true);
    expect(delta.applications.upsert).toHaveLength(1);
    expect(delta.applications.upsert[0].id).toBe(appId);
    expect(delta.applications.upsert[0].subscriptions[0].apiKeys.map((k: Json) => k.keyHash).sort()).toEqual(
      [hashApiKey(first.key), hashApiKey(second.key)].sort(),
    );

    await h.call('DELETE', `${env}/subscriptions/${subId}/api-keys/${first.id}`);
    const revoked = (await sync(gw.token, delta.cursor)).json<Json>();
    expect(revoked.kind).toBe('delta');
    expect(revoked.applications.upsert[0].subscriptions[0].apiKeys).toEqual([
      { id: second.id, keyHash: hashApiKey(second.key) },
    ]);
    expect((await sync(gw.token, revoked.cursor)).json<Json>().kind).toBe('unchanged');

    await h.call('POST', `${env}/subscriptions/${subId}/close`);
    const closed = (await sync(gw.token, revoked.cursor)).json<Json>();
    expect(closed.applications).toEqual({ upsert: [], delete: [appId] });

    // A deployment changes the definition: snapshot. An unknown cursor: snapshot.
    expect((await deploy(env)).statusCode).toBe(201);
    expect((await sync(gw.token, closed.cursor)).json<Json>().kind).toBe('snapshot');
    expect((await sync(gw.token, 'c:99999999')).json<Json>().kind).toBe('snapshot');
    expect((await sync(gw.token, 'garbage')).json<Json>().kind).toBe('snapshot');

    // Sharding: an `eu` gateway gets untagged and `eu` APIs, not `us` ones; a `us` deploy is not its business.
    for (const [id, tags] of [
      ['eu-api', ['eu']],
      ['us-api', ['us']],
    ] as const) {
      await h.call('POST', `${env}/apis`, {
        body: {
          id,
          name: id,
          basePath: `/${id}`,
          upstream: { targets: [{ url: 'http://127.0.0.1:9' }] },
          shardingTags: tags,
          lifecycle: 'published',
        },
      });
      await h.call('POST', `${env}/apis/${id}/plans`, { body: { id: 'open', security: { type: 'keyless' } } });
      expect((await deploy(env, id)).statusCode).toBe(201);
    }
    const eu = await gateway(env, 'edge-eu', ['eu']);
    const euSnap = (await sync(eu.token)).json<Json>();
    expect(euSnap.document.apis.map((a: Json) => a.id)).toEqual(['eu-api', 'orders']);
    expect((await sync(gw.token)).json<Json>().document.apis).toHaveLength(3);
    expect((await deploy(env, 'us-api')).statusCode).toBe(201);
    const notMine = (await sync(eu.token, euSnap.cursor)).json<Json>();
    expect(notMine).toMatchObject({
      kind: 'delta',
      definitionVersion: euSnap.definitionVersion,
      applications: { upsert: [], delete: [] },
    });
    expect((await deploy(env, 'eu-api')).statusCode).toBe(201);
    expect((await sync(eu.token, notMine.cursor)).json<Json>().kind).toBe('snapshot');
  });

  it('streams a `changed` event on a deploy, and ends the stream on revocation', async () => {
    const env = await environment();
    const gw = await gateway(env, 'edge');
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const events: Array<{ event: string; cursor: string }> = [];
    let ended = false;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${address}${GW}/events`, { headers: { authorization: `Bearer ${gw.token}` } });
      req.on('response', resolve).on('error', reject).end();
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, cursor: JSON.parse(data).cursor });
      }
    });
    res.on('end', () => {
      ended = true;
    });
    await waitFor(() => events.length === 1, 10_000);
    expect(events[0]!.event).toBe('changed');

    // Pushed on the open stream (the test makes no request in between); how fast is bench:fleet's question.
    expect((await deploy(env)).statusCode).toBe(201);
    await waitFor(() => events.length === 2, 10_000);
    expect(events[1]).toMatchObject({ event: 'changed' });
    expect(Number(events[1]!.cursor.slice(2))).toBeGreaterThan(Number(events[0]!.cursor.slice(2)));
    const synced = (await sync(gw.token, events[0]!.cursor)).json<Json>();
    expect(synced).toMatchObject({ kind: 'snapshot', cursor: events[1]!.cursor });

    await h.call('POST', `${env}/gateways/${gw.id}/revoke`);
    await waitFor(() => ended, 10_000);
  });

  it('shows gateways online, then stale, then offline as heartbeats stop', async () => {
    const env = await environment();
    const gw = await gateway(env, 'edge', ['eu']);
    const status = async () => (await h.call('GET', `${env}/gateways/${gw.id}`)).json<Json>();
    expect((await status()).status).toBe('never-seen');
    const answer = await heartbeat(gw.token, {
      hostname: 'gw-1',
      configVersion: 'abc123',
      cursor: 'c:1',
      appliedRevisions: { orders: 1 },
      requests: { total: 10, '2xx': 9, '5xx': 1 },
      errors: [{ at: '2026-01-01T00:00:00Z', message: 'config refused: apis[0].basePath: clash' }],
    });
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json<Json>()).toEqual({ serverTime: expect.any(String), heartbeatInterval: '250ms' });
    const online = await status();
    expect(online).toMatchObject({
      status: 'online',
      version: '0.1.0',
      hostname: 'gw-1',
      configVersion: 'abc123',
      tags: ['eu'],
      appliedRevisions: { orders: 1 },
      errors: [{ message: 'config refused: apis[0].basePath: clash' }],
    });
    expect(online.lastHeartbeatAt).not.toBeNull();
    // Stale after 1.5 missed intervals, offline after 3: poll often enough to see each state.
    const state = async () => (await status()).status;
    await expect.poll(state, { timeout: 20 * HEARTBEAT_MS, interval: HEARTBEAT_MS / 10 }).toBe('stale');
    await expect.poll(state, { timeout: 20 * HEARTBEAT_MS, interval: HEARTBEAT_MS / 10 }).toBe('offline');
    await heartbeat(gw.token, { errors: [] });
    const back = (await h.call('GET', `${env}/gateways`)).json<Json>().items[0];
    expect(back.status).toBe('online');
    expect(back.errors).toHaveLength(1); // earlier errors are kept
  });

  it('reports each deployment rollout from heartbeats: applied on N of M gateways, and when', async () => {
    const env = await environment(['eu']);
    const all = await gateway(env, 'all'); // untagged: serves everything
    const euGw = await gateway(env, 'eu-1', ['eu']);
    await gateway(env, 'us-1', ['us']); // does not serve the API
    const revoked = await gateway(env, 'gone');
    await h.call('POST', `${env}/gateways/${revoked.id}/revoke`);
    const created = await deploy(env);
    expect(created.json<Json>().rollout).toEqual({ applied: 0, total: 2, gateways: [] });
    await heartbeat(all.token, { appliedRevisions: { orders: 1 } });
    let history = (await h.call('GET', `${env}/apis/orders/deployments`)).json<Json>().items;
    expect(history[0].rollout).toMatchObject({ applied: 1, total: 2, gateways: [{ id: all.id, name: 'all' }] });
    const appliedAt = history[0].rollout.gateways[0].appliedAt;
    expect(Date.parse(appliedAt)).toBeGreaterThan(Date.now() - 10_000);

    expect((await deploy(env)).statusCode).toBe(201);
    await heartbeat(all.token, { appliedRevisions: { orders: 1 } }); // not yet on 2: appliedAt unchanged
    await heartbeat(euGw.token, { appliedRevisions: { orders: 2 } });
    history = (await h.call('GET', `${env}/apis/orders/deployments`)).json<Json>().items;
    expect(history.map((d: Json) => [d.revision, d.rollout.applied, d.rollout.total])).toEqual([
      [2, 1, 2],
      [1, 1, 2],
    ]);
    expect(history[1].rollout.gateways[0].appliedAt).toBe(appliedAt);
    const one = (await h.call('GET', `${env}/apis/orders/deployments/2`)).json<Json>();
    expect(one.rollout.gateways.map((g: Json) => g.name)).toEqual(['eu-1']);
  });

  it('refuses a deployment using a policy a target gateway does not report, naming the gateways', async () => {
    const env = await environment(['eu'], [{ policy: 'rate-limit', config: { limit: 10, window: '1m' } }]);
    const caps = (names: string[]) => [
      ...names.map((name) => ({ name, version: '1.0.0', kind: 'policy' })),
      { name: 'api-key', version: '1.0.0', kind: 'security' },
    ];
    const old = await gateway(env, 'old-edge', ['eu']);
    const current = await gateway(env, 'new-edge');
    const elsewhere = await gateway(env, 'us-edge', ['us']);
    await gateway(env, 'silent'); // no heartbeat yet: not judged
    await heartbeat(old.token, { capabilities: caps(['cors']) });
    await heartbeat(current.token, { capabilities: caps(['cors', 'rate-limit']) });
    await heartbeat(elsewhere.token, { capabilities: caps([]) }); // serves no `eu` API: not judged

    const refused = await deploy(env);
    expect(refused.statusCode).toBe(409);
    const problem = refused.json<Json>();
    expect(problem.code).toBe('not_deployable');
    expect(problem.detail).toContain('"old-edge"');
    expect(problem.detail).toContain('policy "rate-limit"');
    expect(problem.errors).toEqual([{ path: 'gateways.old-edge', message: 'does not support policy "rate-limit"' }]);
    expect((await h.call('GET', `${env}/apis/orders/deployments`)).json<Json>().items).toEqual([]);

    // Capabilities persist across heartbeats that omit them; an upgrade lifts the refusal.
    await heartbeat(old.token, {});
    expect((await deploy(env)).statusCode).toBe(409);
    await heartbeat(old.token, { capabilities: caps(['cors', 'rate-limit']) });
    expect((await deploy(env)).statusCode).toBe(201);
  });

  it('ingests analytics idempotently and aggregates them by time, status class and group', async () => {
    const env = await environment();
    const gw = await gateway(env, 'edge');
    const alice = await h.createUser(
      `alice-${randomUUID().slice(0, 6)}@example.test`,
      'consumer',
      env.split('/').pop(),
    );
    const aliceApp = (
      await h.call('POST', `${env}/applications`, { token: alice.token, body: { name: 'Alice app' } })
    ).json<Json>().id as string;
    const otherApp = (await h.call('POST', `${env}/applications`, { body: { name: 'Other' } })).json<Json>()
      .id as string;
    const base = Date.parse('2026-03-01T10:00:00.000Z');
    const record = (i: number, status: number, api: string, application: string) => ({
      id: randomUUID(),
      time: new Date(base + i * 30_000).toISOString(),
      api,
      plan: 'gold',
      application,
      subscription: null,
      method: 'GET',
      route: 'GET /items/:id',
      status,
      latencyMs: i + 1,
      upstreamLatencyMs: i,
      bytesIn: 0,
      bytesOut: 100,
      clientIp: '203.0.113.0',
      errorCode: status >= 500 ? 'upstream_unavailable' : null,
    });
    const records = [
      record(0, 200, 'orders', aliceApp),
      record(1, 200, 'orders', aliceApp),
      record(2, 201, 'orders', otherApp),
      record(3, 404, 'status', otherApp),
      record(4, 500, 'orders', aliceApp),
      record(5, 503, 'status', otherApp),
    ];
    const post = (body: Json) => h.call('POST', `${GW}/analytics`, { token: gw.token, body });
    const firstPost = await post({ records });
    expect(firstPost.statusCode, firstPost.body).toBe(202);
    expect(firstPost.json()).toEqual({ accepted: 6, duplicates: 0, rejected: 0 });
    expect((await post({ records })).json()).toEqual({ accepted: 0, duplicates: 6, rejected: 0 });
    // A gateway clock a week ahead: not stored, not counted (and not retried forever either).
    const ahead = { ...records[0], id: randomUUID(), time: new Date(Date.now() + 7 * 86_400_000).toISOString() };
    expect((await post({ records: [ahead] })).json()).toEqual({ accepted: 0, duplicates: 0, rejected: 1 });
    expect((await post({ records: [{ ...records[0], status: 'nope' }] })).statusCode).toBe(400);

    const range = `from=2026-03-01T10:00:00Z&to=2026-03-01T10:05:00Z`;
    const all = await h.call('GET', `${env}/analytics/requests?${range}&groupBy=api`);
    expect(all.statusCode, all.body).toBe(200);
    const body = all.json<Json>();
    expect(body).toMatchObject({
      total: 6,
      interval: '1m',
      byStatusClass: { '1xx': 0, '2xx': 3, '3xx': 0, '4xx': 1, '5xx': 2 },
      groupBy: 'api',
    });
    // Nearest rank over the histogram: the 3rd of 6 (3 ms), within the histogram's 9.1 %.
    expect(Math.abs(body.latency.p50 / 3 - 1)).toBeLessThan(0.091);
    expect(body.latency.p99).toBeGreaterThanOrEqual(body.latency.p95);
    expect(body.buckets).toHaveLength(5);
    expect(body.buckets.map((b: Json) => b.total)).toEqual([2, 2, 2, 0, 0]);
    expect(body.buckets[0].start).toBe('2026-03-01T10:00:00.000Z');
    expect(body.groups.map((g: Json) => [g.key, g.total])).toEqual([
      ['orders', 4],
      ['status', 2],
    ]);
    const filtered = (
      await h.call('GET', `${env}/analytics/requests?${range}&apiId=status&groupBy=status`)
    ).json<Json>();
    expect(filtered.total).toBe(2);
    expect(filtered.groups.map((g: Json) => g.key).sort()).toEqual(['404', '503']);

    // Consumers see their own applications' traffic only; another's application is 404.
    const mine = (await h.call('GET', `${env}/analytics/requests?${range}`, { token: alice.token })).json<Json>();
    expect(mine.total).toBe(3);
    expect(
      (await h.call('GET', `${env}/analytics/requests?${range}&applicationId=${otherApp}`, { token: alice.token }))
        .statusCode,
    ).toBe(404);
    expect(
      (await h.call('GET', `${env}/analytics/requests?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z`)).statusCode,
    ).toBe(400);
  });

  it('bootstraps a demo for `gatehouse up`, idempotently', async () => {
    const first = await createDemoSetup({ db: h.db }, { upstreamUrl: 'http://127.0.0.1:9' });
    const again = await createDemoSetup({ db: h.db }, { upstreamUrl: 'http://127.0.0.1:9' });
    expect(again.gatewayId).toBe(first.gatewayId);
    expect((await sync(first.gatewayToken)).statusCode).toBe(401); // re-issued
    const snap = (await sync(again.gatewayToken)).json<Json>();
    expect(snap.document.apis.map((a: Json) => [a.id, a.plans[0].security.type])).toEqual([
      ['orders', 'api-key'],
      ['status', 'keyless'],
    ]);
    // One valid demo key at a time: each start replaces (revokes) the previous one.
    const hashes = snap.document.applications[0].subscriptions[0].apiKeys.map((k: Json) => k.keyHash);
    expect(hashes).toEqual([hashApiKey(again.apiKey!)]);
    expect(hashes).not.toContain(hashApiKey(first.apiKey!));
    expect(again.adminEmail).toBe('admin@example.test');
  });

  it('sends one application, not the document, when one key of many changes', async () => {
    const figures = await measureDeltaBytes(h.db, 2000);
    console.log(`[${backend.name}] 2,000 keys: ${JSON.stringify(figures)}`);
    expect(figures.snapshotBytes).toBeGreaterThan(200_000);
    expect(figures.addKeyDeltaBytes).toBeLessThan(2000);
    expect(figures.revokeKeyDeltaBytes).toBeLessThan(2000);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
