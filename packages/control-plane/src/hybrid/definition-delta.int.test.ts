/**
 * Protocol 4's definition delta (docs/decisions/0021-definition-delta.md), control-plane side: a
 * gateway whose cursor is known gets the new definition and only the applications that changed (or
 * entered or left its shard); the definition is built once per version and shard; a gateway naming
 * only 3 or 2 gets a snapshot.
 */
import { randomUUID } from 'node:crypto';
import { digestOf, keyRing, type SyncMessage, trustedKey, verifyMessage } from '@gatehouse/config';
import { canonicalJson } from '@gatehouse/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHarness, describeOnBackends, type Harness } from '../test-support/harness.js';
import { definitionDeltaCache } from './definition-delta.js';

// biome-ignore lint/suspicious/noExplicitAny: test reads arbitrary JSON
type Json = Record<string, any>;
const GW = '/api/v1/gateway';
const V4 = { 'gatehouse-protocol': '4, 3, 2' };
const V3 = { 'gatehouse-protocol': '3, 2' };

describeOnBackends('definition deltas', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backend);
  });
  afterAll(async () => {
    await h?.close();
  });

  async function environment(): Promise<string> {
    const env = `/api/v1/environments/env-${randomUUID().slice(0, 8)}`;
    expect((await h.call('POST', '/api/v1/environments', { body: { id: env.split('/').at(-1) } })).statusCode).toBe(
      201,
    );
    return env;
  }
  async function api(env: string, id: string, shardingTags: string[] = []) {
    const res = await h.call('POST', `${env}/apis`, {
      body: {
        id,
        name: id,
        basePath: `/${id}`,
        upstream: { targets: [{ url: 'http://127.0.0.1:9' }] },
        shardingTags,
        lifecycle: 'published',
        visibility: 'public',
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    await h.call('POST', `${env}/apis/${id}/plans`, { body: { id: 'gold', security: { type: 'api-key' } } });
    expect((await deploy(env, id)).statusCode).toBe(201);
  }
  const deploy = (env: string, id: string) => h.call('POST', `${env}/apis/${id}/deployments`, { body: {} });
  async function gateway(env: string, name: string, tags: string[] = []) {
    const res = await h.call('POST', `${env}/gateways`, { body: { name, tags } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string; token: string }>();
  }
  async function subscribedApp(env: string, apiId: string) {
    const appId = (await h.call('POST', `${env}/applications`, { body: { name: `App ${apiId}` } })).json<Json>().id;
    const sub = await h.call('POST', `${env}/applications/${appId}/subscriptions`, {
      body: { apiId, planId: 'gold' },
    });
    expect(sub.statusCode, sub.body).toBe(201);
    const subId = sub.json<Json>().id as string;
    const key = (await h.call('POST', `${env}/subscriptions/${subId}/api-keys`)).json<Json>();
    return { appId: appId as string, subId, keyId: key.id as string };
  }
  const sync = async (token: string, cursor: string | undefined, headers: Record<string, string> = V4) =>
    (
      await h.call('GET', `${GW}/sync${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`, { token, headers })
    ).json<Json>();
  async function verifier(token: string) {
    const { publicKeyPem } = (await h.call('GET', `${GW}/signing-key`, { token })).json<Json>();
    return (m: Json) => verifyMessage(m as SyncMessage, keyRing([trustedKey(publicKeyPem)]));
  }

  it('after a deploy, a known cursor gets the new definition and only the changed applications, signed once per part', async () => {
    const env = await environment();
    await api(env, 'orders');
    const kept = await subscribedApp(env, 'orders');
    const revoked = await subscribedApp(env, 'orders');
    const a = await gateway(env, 'a');
    const b = await gateway(env, 'b');
    const verifies = await verifier(a.token);
    const snapA = await sync(a.token, undefined);
    const snapB = await sync(b.token, undefined);
    expect(snapA.document.applications).toHaveLength(2);

    // A deploy and a revocation in the same range.
    expect((await deploy(env, 'orders')).statusCode).toBe(201);
    await h.call('DELETE', `${env}/subscriptions/${revoked.subId}/api-keys/${revoked.keyId}`);
    const cache = definitionDeltaCache(h.db);
    const before = cache.definitions.builds;
    const [defA, defB] = await Promise.all([sync(a.token, snapA.cursor), sync(b.token, snapB.cursor)]);
    expect(cache.definitions.builds - before).toBe(1);
    expect(defA).toMatchObject({ kind: 'definition', protocol: 4, fromCursor: snapA.cursor, gateway: a.id });
    expect(defB.gateway).toBe(b.id);
    expect(verifies(defA)).toEqual({ ok: true, keyId: expect.any(String) });
    expect(verifies(defB).ok).toBe(true);
    expect(defA.definitionDigest).toBe(digestOf(canonicalJson(defA.definition)));
    expect(defA.definition.applications).toBeUndefined();
    expect(defA.definition.apis.map((x: Json) => [x.id, x.revision])).toEqual([['orders', 2]]);
    // The application left alone is not resent; the revoked key's application is, without the key.
    expect(defA.applications.upsert.map((x: Json) => x.id)).toEqual([revoked.appId]);
    expect(defA.applications.upsert[0].subscriptions[0].apiKeys).toEqual([]);
    expect(defA.applications.delete).toEqual([]);
    expect(JSON.stringify(defA)).not.toContain(kept.appId);
    // It matches what a snapshot at the same cursor serves.
    const snapNow = await sync(a.token, undefined);
    expect(snapNow.cursor).toBe(defA.cursor);
    expect(defA.definitionVersion).toBe(snapNow.definitionVersion);
    expect(defA.definition.apis).toEqual(snapNow.document.apis);

    // A gateway naming only 3 or 2 (or nothing) gets today's snapshot.
    expect((await sync(a.token, snapA.cursor, V3)).kind).toBe('snapshot');
    expect((await sync(a.token, snapA.cursor, {})).kind).toBe('snapshot');
    // An unknown or future cursor: a snapshot.
    expect((await sync(a.token, 'c:99999999')).kind).toBe('snapshot');
    // A relabelled answer does not verify.
    expect(verifies({ ...defA, protocol: 3 }).ok).toBe(false);
  });

  it('applications entering or leaving the shard with an API are upserted or deleted', async () => {
    const env = await environment();
    await api(env, 'orders');
    await api(env, 'eu-api', ['eu']);
    const euOnly = await subscribedApp(env, 'eu-api');
    const both = await subscribedApp(env, 'orders');
    await h.call('POST', `${env}/applications/${both.appId}/subscriptions`, {
      body: { apiId: 'eu-api', planId: 'gold' },
    });
    const us = await gateway(env, 'us', ['us']);
    const snap = await sync(us.token, undefined);
    expect(snap.document.apis.map((x: Json) => x.id)).toEqual(['orders']);
    expect(snap.document.applications.map((x: Json) => x.id)).toEqual([both.appId]);

    // eu-api enters the `us` shard: its subscribers come with it.
    const moved = await h.call('PATCH', `${env}/apis/eu-api`, { body: { shardingTags: ['us'] } });
    expect(moved.statusCode, moved.body).toBe(200);
    expect((await deploy(env, 'eu-api')).statusCode).toBe(201);
    const entered = await sync(us.token, snap.cursor);
    expect(entered.kind).toBe('definition');
    expect(entered.definition.apis.map((x: Json) => x.id)).toEqual(['eu-api', 'orders']);
    const upserted = new Map(entered.applications.upsert.map((x: Json) => [x.id, x]));
    expect([...upserted.keys()].sort()).toEqual([euOnly.appId, both.appId].sort());
    expect((upserted.get(both.appId) as Json).subscriptions.map((s: Json) => s.api).sort()).toEqual([
      'eu-api',
      'orders',
    ]);

    // ...and leaves it again: the application with nothing left is deleted, the other loses a subscription.
    await h.call('PATCH', `${env}/apis/eu-api`, { body: { shardingTags: ['eu'] } });
    expect((await deploy(env, 'eu-api')).statusCode).toBe(201);
    const left = await sync(us.token, entered.cursor);
    expect(left.kind).toBe('definition');
    expect(left.definition.apis.map((x: Json) => x.id)).toEqual(['orders']);
    expect(left.applications.delete).toEqual([euOnly.appId]);
    expect(left.applications.upsert.map((x: Json) => [x.id, x.subscriptions.map((s: Json) => s.api)])).toEqual([
      [both.appId, ['orders']],
    ]);

    // A deploy outside the shard still moves the cursor with an empty credential delta.
    expect((await deploy(env, 'eu-api')).statusCode).toBe(201);
    expect(await sync(us.token, left.cursor)).toMatchObject({
      kind: 'delta',
      applications: { upsert: [], delete: [] },
    });
  });
});
