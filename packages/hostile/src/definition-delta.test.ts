/**
 * Protocol 4's definition delta under attack (docs/decisions/0021-definition-delta.md): a real control
 * plane and hybrid gateway, a man in the middle on the gateway's link. A definition delta carries a
 * whole definition (routes, upstreams) and credential changes under one signed envelope holding a
 * digest of each: another gateway's or environment's, an older one replayed, a definition or
 * credential changes swapped under a genuine envelope, and a relabelled version are all refused, and
 * the gateway keeps serving what it had.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ControlPlane, createDemoSetup, openDatabase, startControlPlane } from '@gatehouse/control-plane';
import { silentLogger } from '@gatehouse/core';
import { serviceUrl } from '@gatehouse/core/testing';
import { type HybridGateway, startHybridGateway } from '@gatehouse/gateway';
import { startTestUpstream, type TestUpstream } from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMitm } from './support/sync-mitm.js';

// biome-ignore lint/suspicious/noExplicitAny: the test reads arbitrary JSON answers
type Json = Record<string, any>;

const ADMIN = { email: 'admin@hostile.test', password: 'hostile-definition-admin-password' };
const database = serviceUrl('DATABASE_URL');
const ENV = '/api/v1/environments/default';

describe('hybrid sync: definition deltas (protocol 4)', () => {
  let cp: ControlPlane;
  let upstream: TestUpstream;
  let mitm: Awaited<ReturnType<typeof startMitm>>;
  let adminToken: string;
  let dir: string;
  const gateways: HybridGateway[] = [];
  const schema = `hostile_def_${randomUUID().slice(0, 8)}`;

  async function call(method: string, url: string, body?: unknown) {
    const res = await cp.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${adminToken}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    return { status: res.statusCode, json: () => res.json() as Json, body: res.body };
  }

  async function newKey() {
    const app = (await call('POST', `${ENV}/applications`, { name: `App ${randomUUID().slice(0, 6)}` })).json();
    const sub = (
      await call('POST', `${ENV}/applications/${app.id}/subscriptions`, { apiId: 'orders', planId: 'gold' })
    ).json();
    const key = (await call('POST', `${ENV}/subscriptions/${sub.id}/api-keys`)).json();
    return {
      key: key.key as string,
      revoke: async () =>
        expect((await call('DELETE', `${ENV}/subscriptions/${sub.id}/api-keys/${key.id}`)).status).toBe(204),
    };
  }

  async function gatewayVia(token: string, name: string): Promise<HybridGateway> {
    const gw = await startHybridGateway({
      controlPlaneUrl: mitm.url,
      token,
      backupDir: path.join(dir, name),
      host: '127.0.0.1',
      port: 0,
      adminPort: 0,
      accessLog: 'off',
      logger: silentLogger(),
      pollIntervalMs: 60_000,
      heartbeatIntervalMs: 60_000,
    });
    gateways.push(gw);
    return gw;
  }

  const deploy = async () => expect((await call('POST', `${ENV}/apis/orders/deployments`, {})).status).toBe(201);
  /** A genuine sync answer, fetched directly with a gateway's token (what an attacker may have captured). */
  const syncAs = async (token: string, cursor: string | undefined, protocols = '4, 3, 2') =>
    (await (
      await fetch(`${cp.url}/api/v1/gateway/sync${cursor ? `?cursor=${cursor}` : ''}`, {
        headers: { authorization: `Bearer ${token}`, 'gatehouse-protocol': protocols },
      })
    ).json()) as Json;
  const status = async (gw: HybridGateway, key: string) =>
    (await fetch(`${gw.url}/orders/items`, { headers: { 'x-api-key': key } })).status;
  const revision = (gw: HybridGateway) => gw.current()?.document.apis.find((a) => a.id === 'orders')?.revision;
  const lastError = (gw: HybridGateway) => gw.hybrid.status().errors.at(-1)?.message ?? '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gh-hostile-def-'));
    upstream = await startTestUpstream();
    if (database.url) {
      const handle = await openDatabase({ databaseUrl: database.url });
      await handle.db.execute(`CREATE SCHEMA ${schema}`);
      await handle.close();
    }
    cp = await startControlPlane({
      port: 0,
      host: '127.0.0.1',
      ...(database.url ? { databaseUrl: database.url, databaseSchema: schema } : { dataDir: path.join(dir, 'cp') }),
      adminEmail: ADMIN.email,
      adminPassword: ADMIN.password,
      secretKey: { key: randomBytes(32).toString('base64') },
      logger: silentLogger(),
    });
    adminToken = (await cp.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: ADMIN })).json().token;
    mitm = await startMitm(cp.url);
  }, 120_000);

  afterAll(async () => {
    for (const gw of gateways) await gw.close();
    await mitm?.close();
    await cp?.close();
    if (database.url) {
      const handle = await openDatabase({ databaseUrl: database.url });
      await handle.db.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await handle.close();
    }
    await upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("applies a genuine one; refuses another gateway's and another environment's", async () => {
    const setup = await createDemoSetup(cp, { upstreamUrl: upstream.url });
    const victim = await newKey();
    const gw = await gatewayVia(setup.gatewayToken, 'binding');
    expect(await status(gw, victim.key)).toBe(200);
    const before = revision(gw)!;
    const held = gw.hybrid.status().cursor as string;

    const sibling = (await call('POST', `${ENV}/gateways`, { name: `other-${randomUUID().slice(0, 6)}` })).json()
      .token as string;
    const env = `env-${randomUUID().slice(0, 6)}`;
    expect((await call('POST', '/api/v1/environments', { id: env })).status).toBe(201);
    const elsewhere = await createDemoSetup(cp, { upstreamUrl: upstream.url, environment: env });
    const elsewhereCursor = (await syncAs(elsewhere.gatewayToken, undefined)).cursor as string;
    mitm.state.hold = true;
    await deploy();
    await victim.revoke();
    await call('POST', `/api/v1/environments/${env}/apis/orders/deployments`, {});
    for (const [foreign, refusal] of [
      [await syncAs(sibling, held), /message for gateway/],
      [await syncAs(elsewhere.gatewayToken, elsewhereCursor), /message for environment/],
    ] as const) {
      expect(foreign.kind).toBe('definition');
      mitm.state.rewrite = () => foreign;
      mitm.state.hold = false;
      await gw.hybrid.syncNow();
      expect(lastError(gw)).toMatch(refusal);
      expect([revision(gw), await status(gw, victim.key)]).toEqual([before, 200]);
      mitm.state.hold = true;
    }
    mitm.state.rewrite = undefined;
    const seenBefore = mitm.state.seen.length;
    mitm.state.hold = false;
    await gw.hybrid.syncNow();
    // The gateway's own retry of a held sync may get the definition first; syncNow then gets `unchanged`.
    expect(mitm.state.seen.slice(seenBefore).map((m) => m.kind)).toContain('definition');
    expect([revision(gw), await status(gw, victim.key)]).toEqual([before + 1, 401]);
    await gw.close();
  }, 90_000);

  it('refuses a replayed older one (a revoked key stays revoked, the newer definition stays)', async () => {
    const setup = await createDemoSetup(cp, { upstreamUrl: upstream.url });
    const victim = await newKey();
    const gw = await gatewayVia(setup.gatewayToken, 'replay');
    expect(await status(gw, victim.key)).toBe(200);
    mitm.state.hold = true;
    await deploy();
    const seenBefore = mitm.state.seen.length;
    mitm.state.hold = false;
    await gw.hybrid.syncNow();
    // The gateway's own retry of a held sync may get the definition first; syncNow then gets `unchanged`.
    const old = mitm.state.seen.slice(seenBefore).find((m) => m.kind === 'definition');
    expect(old?.kind).toBe('definition');
    const applied = revision(gw)!;

    await victim.revoke();
    await deploy();
    await gw.hybrid.syncNow();
    expect([revision(gw), await status(gw, victim.key)]).toEqual([applied + 1, 401]);
    mitm.state.rewrite = () => old!;
    await gw.hybrid.syncNow();
    expect(lastError(gw)).toMatch(/definition at c:\d+ is older than c:\d+, already applied/);
    expect([revision(gw), await status(gw, victim.key)]).toEqual([applied + 1, 401]);
    mitm.state.rewrite = undefined;
    await gw.close();
  }, 90_000);

  it('refuses a definition or credential changes swapped under a genuine envelope, and a relabelled version', async () => {
    const setup = await createDemoSetup(cp, { upstreamUrl: upstream.url });
    const victim = await newKey();
    const gw = await gatewayVia(setup.gatewayToken, 'digest');
    expect(await status(gw, victim.key)).toBe(200);
    const before = revision(gw)!;
    const held = gw.hybrid.status().cursor as string;
    mitm.state.hold = true;
    await deploy();
    await victim.revoke();
    const genuine = await syncAs(setup.gatewayToken, held);
    expect(genuine.kind).toBe('definition');
    const redirected = structuredClone(genuine);
    for (const api of redirected.definition.apis as Json[])
      api.upstream = { ...api.upstream, targets: [{ url: 'http://127.0.0.1:9/attacker' }] };
    const cases: Array<[Json, RegExp]> = [
      [redirected, /definition received does not match the signed digest/],
      // The revocation taken out: the credential changes no longer match their digest.
      [{ ...genuine, applications: { upsert: [], delete: [] } }, /applications received does not match/],
      // Another version's definition digest put in: the envelope no longer verifies.
      [{ ...redirected, definitionDigest: `sha256:${'1'.repeat(64)}` }, /does not match|invalid signature/],
      // Relabelled as protocol 3: the kind needs 4 (and `protocol` is signed).
      [{ ...genuine, protocol: 3 }, /definition delta needs protocol 4/],
    ];
    mitm.state.hold = false;
    for (const [forged, refusal] of cases) {
      mitm.state.rewrite = () => forged;
      await gw.hybrid.syncNow();
      expect(lastError(gw)).toMatch(refusal);
      expect([revision(gw), await status(gw, victim.key)]).toEqual([before, 200]);
    }
    mitm.state.rewrite = undefined;
    await gw.hybrid.syncNow();
    expect([revision(gw), await status(gw, victim.key)]).toEqual([before + 1, 401]);
    await gw.close();
  }, 90_000);

  it('a gateway naming only protocol 3 gets a snapshot for the same change', async () => {
    const setup = await createDemoSetup(cp, { upstreamUrl: upstream.url });
    const first = await syncAs(setup.gatewayToken, undefined, '3, 2');
    await deploy();
    const v3 = await syncAs(setup.gatewayToken, first.cursor, '3, 2');
    expect([v3.kind, v3.protocol]).toEqual(['snapshot', 3]);
    const v4 = await syncAs(setup.gatewayToken, first.cursor);
    expect([v4.kind, v4.protocol]).toEqual(['definition', 4]);
  }, 60_000);
});
