/**
 * Hybrid sync under attack: a real control plane and a real hybrid gateway on loopback, with a
 * man in the middle on the gateway's link (the control plane reached over plain HTTP or through a
 * compromised proxy). Every message is signed, so the attacker cannot forge one; what it can do is
 * replay old genuine messages, hand over another gateway's or environment's, strip signatures from
 * `unchanged` answers, and keep using a signing key after it was rotated out. All are refused.
 * Protocol 3 signs a digest of the document: a document swapped under a genuine envelope, or a
 * digest taken from another version, is refused; a genuine protocol 2 message (an older replica,
 * or the attacker stripping the version header) is accepted, as it is signed over all it carries.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ControlPlane, createDemoSetup, openDatabase, startControlPlane } from '@gatehouse/control-plane';
import { silentLogger } from '@gatehouse/core';
import { serviceUrl } from '@gatehouse/core/testing';
import { type HybridGateway, startHybridGateway } from '@gatehouse/gateway';
import { startTestUpstream, type TestUpstream } from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Rewrite, startMitm } from './support/sync-mitm.js';

type Json = Record<string, any>;

const ADMIN = { email: 'admin@hostile.test', password: 'hostile-sync-admin-password' };
const database = serviceUrl('DATABASE_URL');

describe('hybrid sync: signed, bound, monotonic', () => {
  let cp: ControlPlane;
  let upstream: TestUpstream;
  let mitm: Awaited<ReturnType<typeof startMitm>>;
  let adminToken: string;
  let dir: string;
  const gateways: HybridGateway[] = [];
  const schema = `hostile_sync_${randomUUID().slice(0, 8)}`;

  async function call(method: string, url: string, body?: unknown) {
    const res = await cp.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${adminToken}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    return { status: res.statusCode, json: () => res.json() as Json, body: res.body };
  }

  /** A fresh API key on `orders` (demo environment), with what is needed to revoke it. */
  async function newKey() {
    const env = '/api/v1/environments/default';
    const app = (await call('POST', `${env}/applications`, { name: `App ${randomUUID().slice(0, 6)}` })).json();
    const sub = (
      await call('POST', `${env}/applications/${app.id}/subscriptions`, { apiId: 'orders', planId: 'gold' })
    ).json();
    const key = (await call('POST', `${env}/subscriptions/${sub.id}/api-keys`)).json();
    return {
      key: key.key as string,
      revoke: async () =>
        expect((await call('DELETE', `${env}/subscriptions/${sub.id}/api-keys/${key.id}`)).status).toBe(204),
    };
  }

  async function gatewayVia(url: string, token: string, stateDir: string): Promise<HybridGateway> {
    const gw = await startHybridGateway({
      controlPlaneUrl: url,
      token,
      backupDir: stateDir,
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

  const status = async (gw: HybridGateway, key: string) =>
    (await fetch(`${gw.url}/orders/items`, { headers: { 'x-api-key': key } })).status;
  const lastError = (gw: HybridGateway) => gw.hybrid.status().errors.at(-1)?.message ?? '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gh-hostile-sync-'));
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
      // PostgreSQL needs the key that encrypts secrets at rest (a fresh one per run).
      secretKey: { key: randomBytes(32).toString('base64') },
      logger: silentLogger(),
    });
    const login = await cp.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: ADMIN });
    adminToken = login.json().token;
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

  it('refuses a replayed older snapshot, also after a restart: a revoked key stays revoked', async () => {
    const setup = await createDemoSetup(cp, { upstreamUrl: upstream.url });
    const victim = await newKey();
    const stateDir = path.join(dir, 'replay');
    let gw = await gatewayVia(mitm.url, setup.gatewayToken, stateDir);
    expect(await status(gw, victim.key)).toBe(200);
    const old = mitm.state.seen.findLast((m) => m.kind === 'snapshot')!;

    await victim.revoke();
    await gw.hybrid.syncNow();
    expect(await status(gw, victim.key)).toBe(401);

    mitm.state.rewrite = () => old;
    await gw.hybrid.syncNow();
    expect(lastError(gw)).toMatch(/older than c:\d+, already applied/);
    expect(await status(gw, victim.key)).toBe(401);

    // A restart keeps the position: the old snapshot is refused on first contact too.
    await gw.close();
    gw = await gatewayVia(mitm.url, setup.gatewayToken, stateDir);
    expect(lastError(gw)).toMatch(/older than/);
    expect(await status(gw, victim.key)).toBe(401);
    mitm.state.rewrite = undefined;
    await gw.close();
  }, 60_000);

  it("refuses another gateway's and another environment's snapshot", async () => {
    const setup = await createDemoSetup(cp, { upstreamUrl: upstream.url });
    const victim = await newKey();
    const gw = await gatewayVia(mitm.url, setup.gatewayToken, path.join(dir, 'binding'));
    expect(await status(gw, victim.key)).toBe(200);

    // Genuine, signed, current messages, but for someone else.
    const register = await call('POST', '/api/v1/environments/default/gateways', {
      name: `other-${randomUUID().slice(0, 6)}`,
    });
    const sibling = register.json().token as string;
    expect((await call('POST', '/api/v1/environments', { id: 'elsewhere' })).status).toBe(201);
    const elsewhere = await createDemoSetup(cp, { upstreamUrl: upstream.url, environment: 'elsewhere' });
    // The revocation's change event must not let the genuine delta through before the rewrite is set.
    mitm.state.hold = true;
    await victim.revoke();
    for (const [token, refusal] of [
      [sibling, /message for gateway/],
      [elsewhere.gatewayToken, /message for environment/],
    ] as const) {
      const foreign = (await (
        await fetch(`${cp.url}/api/v1/gateway/sync`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as Json;
      // Its cursor is ahead, so only the binding can tell.
      mitm.state.rewrite = () => foreign;
      mitm.state.hold = false;
      await gw.hybrid.syncNow();
      expect(lastError(gw)).toMatch(refusal);
      expect(await status(gw, victim.key)).toBe(200);
      mitm.state.hold = true;
    }
    mitm.state.hold = false;
    mitm.state.rewrite = undefined;
    await gw.hybrid.syncNow();
    expect(await status(gw, victim.key)).toBe(401);
    await gw.close();
  }, 60_000);

  it('refuses a tampered large snapshot, parsed and verified in the worker thread', async () => {
    const setup = await createDemoSetup(cp, { upstreamUrl: upstream.url });
    const victim = await newKey();
    const gw = await gatewayVia(mitm.url, setup.gatewayToken, path.join(dir, 'large'));
    expect(await status(gw, victim.key)).toBe(200);
    const genuine = mitm.state.seen.findLast((m) => m.kind === 'snapshot')!;
    // At the position held (not older), upstreams redirected, padded past the 256 KB above which the
    // gateway verifies off the event loop: only the signature check can refuse it.
    const forged = structuredClone(genuine);
    for (const api of forged.document.apis as Json[]) {
      api.upstream = { ...api.upstream, targets: [{ url: 'http://127.0.0.1:9/attacker' }] };
      api.description = 'x'.repeat(300 * 1024);
    }
    expect(JSON.stringify(forged).length).toBeGreaterThan(256 * 1024);
    mitm.state.hold = true;
    await victim.revoke();
    mitm.state.rewrite = () => forged;
    mitm.state.hold = false;
    await gw.hybrid.syncNow();
    // Protocol 3: the document's digest is checked before the envelope's signature.
    expect(lastError(gw)).toMatch(/snapshot c:\d+ refused: the document received does not match the signed digest/);
    // Still the genuine config: the revoked key still passes (the forged snapshot was not installed).
    expect(await status(gw, victim.key)).toBe(200);
    mitm.state.rewrite = undefined;
    await gw.hybrid.syncNow();
    expect(await status(gw, victim.key)).toBe(401);
    await gw.close();
  }, 60_000);

  it('protocol 3: refuses a document swapped under a genuine envelope and a digest of another version', async () => {
    const setup = await createDemoSetup(cp, { upstreamUrl: upstream.url });
    const victim = await newKey();
    const gw = await gatewayVia(mitm.url, setup.gatewayToken, path.join(dir, 'digest'));
    expect(await status(gw, victim.key)).toBe(200);
    const held = mitm.state.seen.findLast((m) => m.kind === 'snapshot')!;
    expect(held.protocol).toBe(4);
    expect(held.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    mitm.state.hold = true;
    await victim.revoke();
    // A genuine snapshot of the next version, for this gateway (its own token, no cursor).
    const next = (await (
      await fetch(`${cp.url}/api/v1/gateway/sync`, {
        headers: { authorization: `Bearer ${setup.gatewayToken}`, 'gatehouse-protocol': '3' },
      })
    ).json()) as Json;
    expect(next.cursor).not.toBe(held.cursor);
    // At the position held (not older), upstreams redirected: only the digest can refuse it.
    const swapped = structuredClone(held);
    for (const api of swapped.document.apis as Json[])
      api.upstream = { ...api.upstream, targets: [{ url: 'http://127.0.0.1:9/attacker' }] };
    const cases: Array<[Json, RegExp]> = [
      [swapped, /does not match the signed digest/],
      // The older version's document and digest under the newer envelope: the envelope no longer verifies.
      [{ ...next, document: held.document, digest: held.digest }, /invalid signature/],
      // The newer envelope over the older document: the digest does not match.
      [{ ...next, document: held.document }, /does not match the signed digest/],
    ];
    mitm.state.hold = false;
    for (const [forged, refusal] of cases) {
      mitm.state.rewrite = () => forged;
      await gw.hybrid.syncNow();
      expect(lastError(gw)).toMatch(refusal);
      expect(await status(gw, victim.key)).toBe(200);
    }
    mitm.state.rewrite = undefined;
    await gw.hybrid.syncNow();
    expect(await status(gw, victim.key)).toBe(401);
    await gw.close();
  }, 60_000);

  it('protocol 3 gateway: a genuine protocol 2 message is accepted, a protocol 3 one relabelled 2 is not', async () => {
    const setup = await createDemoSetup(cp, { upstreamUrl: upstream.url });
    const victim = await newKey();
    const gw = await gatewayVia(mitm.url, setup.gatewayToken, path.join(dir, 'downgrade'));
    expect(await status(gw, victim.key)).toBe(200);
    const held = mitm.state.seen.findLast((m) => m.kind === 'snapshot')!;
    expect(held.protocol).toBe(4);
    mitm.state.hold = true;
    await victim.revoke();
    const syncAs = async (header: Record<string, string>) =>
      (await (
        await fetch(`${cp.url}/api/v1/gateway/sync?cursor=${held.cursor}`, {
          headers: { authorization: `Bearer ${setup.gatewayToken}`, ...header },
        })
      ).json()) as Json;
    const v3 = await syncAs({ 'gatehouse-protocol': '3, 2' });
    expect([v3.kind, v3.protocol, typeof v3.digest]).toEqual(['delta', 3, 'string']);
    // Relabelled: `protocol` is inside the signed bytes of both versions.
    const relabelled: Json = { ...v3, protocol: 2 };
    delete relabelled.digest;
    mitm.state.hold = false;
    mitm.state.rewrite = () => relabelled;
    await gw.hybrid.syncNow();
    expect(lastError(gw)).toMatch(/invalid signature/);
    expect(await status(gw, victim.key)).toBe(200);
    // What a control plane from before protocol 3 sends (no version header): signed over all of it, applied.
    const v2 = await syncAs({});
    expect([v2.kind, v2.protocol, v2.digest]).toEqual(['delta', 2, undefined]);
    mitm.state.rewrite = () => v2;
    await gw.hybrid.syncNow();
    expect(await status(gw, victim.key)).toBe(401);
    mitm.state.rewrite = undefined;
    await gw.close();
  }, 60_000);

  it('refuses an unsigned or tampered `unchanged`', async () => {
    const setup = await createDemoSetup(cp, { upstreamUrl: upstream.url });
    const gw = await gatewayVia(mitm.url, setup.gatewayToken, path.join(dir, 'unchanged'));
    const rewrites: Array<[Rewrite, RegExp]> = [
      [({ signatures: _s, ...rest }) => rest, /signatures/],
      [(m) => ({ ...m, issuedAt: new Date(Date.now() + 3_600_000).toISOString() }), /invalid signature/],
    ];
    // Caught up first: changes committed while it started may still arrive as a delta.
    for (let i = 0; i < 50 && mitm.state.seen.at(-1)?.kind !== 'unchanged'; i++) await gw.hybrid.syncNow();
    for (const [rewrite, refusal] of rewrites) {
      mitm.state.rewrite = (m) => (m.kind === 'unchanged' ? rewrite(m) : m);
      await gw.hybrid.syncNow();
      expect(mitm.state.seen.at(-1)?.kind).toBe('unchanged');
      expect(lastError(gw)).toMatch(refusal);
    }
    mitm.state.rewrite = undefined;
    await gw.close();
  }, 60_000);

  it('follows a signing-key rotation without restart, and refuses the old key after the overlap', async () => {
    const setup = await createDemoSetup(cp, { upstreamUrl: upstream.url });
    const stateDir = path.join(dir, 'rotation');
    const gw = await gatewayVia(mitm.url, setup.gatewayToken, stateDir);
    const trustFile = path.join(stateDir, 'control-plane-trust.json');
    const trusted = async () => (JSON.parse(await readFile(trustFile, 'utf8')) as Json).keys.map((k: Json) => k.keyId);
    const [oldKey] = await trusted();

    const overlapMs = 3000;
    const rotated = await call('POST', '/api/v1/signing-keys/rotate', { overlap: `${overlapMs}ms` });
    expect(rotated.status, rotated.body).toBe(200);
    const newKeyId = rotated.json().items.find((k: Json) => k.status === 'current').keyId as string;
    expect(newKeyId).not.toBe(oldKey);
    const rotatedAt = Date.now();

    // During the overlap the old key vouches for the new one: the gateway trusts both, no restart.
    await gw.hybrid.syncNow();
    expect(await trusted()).toEqual(expect.arrayContaining([oldKey, newKeyId]));
    const overlapMessage = mitm.state.seen.at(-1)!;
    expect(overlapMessage.signatures.map((s: Json) => s.keyId).sort()).toEqual([oldKey, newKeyId].sort());

    // After it, the new key alone signs and publishes itself alone: the gateway drops the old key.
    await new Promise((r) => setTimeout(r, Math.max(0, rotatedAt + overlapMs + 500 - Date.now())));
    await gw.hybrid.syncNow();
    expect(mitm.state.seen.at(-1)!.signatures.map((s: Json) => s.keyId)).toEqual([newKeyId]);
    expect(await trusted()).toEqual([newKeyId]);

    // A genuine message at the current position, signed by the old key alone (an attacker who kept
    // it, or an old replica): only the key's retirement can refuse it.
    const byOldKey = {
      ...overlapMessage,
      signatures: overlapMessage.signatures.filter((s: Json) => s.keyId === oldKey),
    };
    mitm.state.rewrite = () => byOldKey;
    await gw.hybrid.syncNow();
    expect(lastError(gw)).toContain(`signed by "${oldKey}", but this gateway trusts "${newKeyId}"`);
    mitm.state.rewrite = undefined;

    // Config keeps flowing, signed by the new key.
    const victim = await newKey();
    await gw.hybrid.syncNow();
    expect(await status(gw, victim.key)).toBe(200);
    await gw.close();
  }, 60_000);
});
