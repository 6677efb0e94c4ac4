/** The management API end to end, on PGlite and (when DATABASE_URL is set) PostgreSQL. */
import { validateDocument } from '@gatehouse/config';
import { hashApiKey } from '@gatehouse/core';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createHarness, describeOnBackends, type Harness } from './test-support/harness.js';

const ENV = '/api/v1/environments/default';
const API = {
  id: 'orders',
  name: 'Orders',
  basePath: '/orders',
  upstream: { targets: [{ url: 'http://127.0.0.1:9101' }] },
  shardingTags: ['eu'],
  lifecycle: 'published',
  visibility: 'public',
};

describeOnBackends('management API', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backend);
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    await h.reset();
  });

  async function publishApi(plan: Record<string, unknown> = { id: 'gold', security: { type: 'api-key' } }) {
    expect((await h.call('POST', `${ENV}/apis`, { body: API })).statusCode).toBe(201);
    expect((await h.call('POST', `${ENV}/apis/orders/plans`, { body: plan })).statusCode).toBe(201);
    const d = await h.call('POST', `${ENV}/apis/orders/deployments`, { body: {} });
    expect(d.statusCode, d.body).toBe(201);
  }

  it('walks API -> plan -> deploy -> application -> subscription -> key -> compiled config', async () => {
    await publishApi();
    const app = await h.call('POST', `${ENV}/applications`, {
      body: { name: 'Mobile', clientId: 'mobile-client' },
    });
    expect(app.statusCode).toBe(201);
    const appId = app.json().id;
    const sub = await h.call('POST', `${ENV}/applications/${appId}/subscriptions`, {
      body: { apiId: 'orders', planId: 'gold' },
    });
    expect(sub.statusCode, sub.body).toBe(201);
    expect(sub.json().status).toBe('accepted');
    const key = await h.call('POST', `${ENV}/subscriptions/${sub.json().id}/api-keys`, { body: {} });
    expect(key.statusCode, key.body).toBe(201);
    const { key: secret, id: keyId, prefix } = key.json();
    expect(secret.startsWith(prefix)).toBe(true);

    const list = await h.call('GET', `${ENV}/subscriptions/${sub.json().id}/api-keys`);
    expect(list.body).not.toContain(secret);
    expect(list.json().items).toHaveLength(1);

    const config = await h.call('GET', `${ENV}/config`);
    expect(config.statusCode, config.body).toBe(200);
    const doc = config.json();
    expect(validateDocument(doc).ok).toBe(true);
    expect(config.body).not.toContain(secret);
    expect(doc.apis).toHaveLength(1);
    expect(doc.apis[0]).toMatchObject({
      id: 'orders',
      revision: 1,
      tags: ['eu'],
      plans: [{ id: 'gold', security: { type: 'api-key' } }],
    });
    expect(doc.applications[0]).toMatchObject({
      id: appId,
      clientId: 'mobile-client',
      subscriptions: [
        {
          id: sub.json().id,
          api: 'orders',
          plan: 'gold',
          status: 'accepted',
          apiKeys: [{ id: keyId, keyHash: hashApiKey(secret) }],
        },
      ],
    });
    expect(doc.metadata.environment).toBe('default');
    expect(config.headers.etag).toBe(`"${doc.metadata.configVersion}"`);

    // Same state, same version.
    const again = await h.call('GET', `${ENV}/config`);
    expect(again.json().metadata.configVersion).toBe(doc.metadata.configVersion);
  });

  it('serves only deployed definitions; rollback redeploys an older snapshot', async () => {
    await publishApi();
    const patched = await h.call('PATCH', `${ENV}/apis/orders`, { body: { basePath: '/orders/v2' } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect((await h.call('GET', `${ENV}/config`)).json().apis[0].basePath).toBe('/orders');
    expect((await h.call('POST', `${ENV}/apis/orders/deployments`, { body: { message: 'v2' } })).json().revision).toBe(
      2,
    );
    expect((await h.call('GET', `${ENV}/config`)).json().apis[0]).toMatchObject({
      basePath: '/orders/v2',
      revision: 2,
    });
    const rollback = await h.call('POST', `${ENV}/apis/orders/deployments`, { body: { revision: 1 } });
    expect(rollback.json()).toMatchObject({ revision: 3, rollbackOf: 1, current: true });
    expect((await h.call('GET', `${ENV}/config`)).json().apis[0]).toMatchObject({
      basePath: '/orders',
      revision: 3,
    });
    const history = await h.call('GET', `${ENV}/apis/orders/deployments`);
    expect(history.json().items.map((d: { revision: number }) => d.revision)).toEqual([3, 2, 1]);
    expect(history.json().items[2].author.email).toBe('admin@example.test');
    // Retiring + deploying removes it from gateways.
    await h.call('PATCH', `${ENV}/apis/orders`, { body: { lifecycle: 'retired' } });
    await h.call('POST', `${ENV}/apis/orders/deployments`, { body: {} });
    expect((await h.call('GET', `${ENV}/config`)).json().apis).toEqual([]);
  });

  it('refuses deployments that would break the environment document', async () => {
    expect((await h.call('POST', `${ENV}/apis`, { body: API })).statusCode).toBe(201);
    const noPlan = await h.call('POST', `${ENV}/apis/orders/deployments`, { body: {} });
    expect(noPlan.statusCode).toBe(409);
    expect(noPlan.json().code).toBe('not_deployable');
    await publishApiClone();
    async function publishApiClone() {
      await h.call('POST', `${ENV}/apis/orders/plans`, { body: { id: 'open', security: { type: 'keyless' } } });
      await h.call('POST', `${ENV}/apis/orders/deployments`, { body: {} });
      await h.call('POST', `${ENV}/apis`, { body: { ...API, id: 'orders-copy' } });
      await h.call('POST', `${ENV}/apis/orders-copy/plans`, {
        body: { id: 'open', security: { type: 'keyless' } },
      });
    }
    const clash = await h.call('POST', `${ENV}/apis/orders-copy/deployments`, { body: {} });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().errors[0].path).toMatch(/basePath/);
  });

  it('manual plans need approval; closed subscriptions leave the config', async () => {
    await publishApi({ id: 'gold', security: { type: 'api-key' }, approval: 'manual' });
    const appId = (await h.call('POST', `${ENV}/applications`, { body: { name: 'A' } })).json().id;
    const sub = (
      await h.call('POST', `${ENV}/applications/${appId}/subscriptions`, {
        body: { apiId: 'orders', planId: 'gold' },
      })
    ).json();
    expect(sub.status).toBe('pending');
    expect((await h.call('GET', `${ENV}/config`)).json().applications).toEqual([]);
    const dup = await h.call('POST', `${ENV}/applications/${appId}/subscriptions`, {
      body: { apiId: 'orders', planId: 'gold' },
    });
    expect(dup.statusCode).toBe(409);
    expect((await h.call('POST', `${ENV}/subscriptions/${sub.id}/approve`, { body: {} })).json().status).toBe(
      'accepted',
    );
    expect((await h.call('GET', `${ENV}/config`)).json().applications).toHaveLength(1);
    expect((await h.call('POST', `${ENV}/subscriptions/${sub.id}/approve`, { body: {} })).statusCode).toBe(409);
    expect((await h.call('POST', `${ENV}/subscriptions/${sub.id}/close`, { body: {} })).json().status).toBe('closed');
    expect((await h.call('GET', `${ENV}/config`)).json().applications).toEqual([]);
  });

  it('rotates keys with a grace period and revokes', async () => {
    await publishApi();
    const appId = (await h.call('POST', `${ENV}/applications`, { body: { name: 'A' } })).json().id;
    const subId = (
      await h.call('POST', `${ENV}/applications/${appId}/subscriptions`, {
        body: { apiId: 'orders', planId: 'gold' },
      })
    ).json().id;
    const first = (await h.call('POST', `${ENV}/subscriptions/${subId}/api-keys`)).json();
    const rotated = await h.call('POST', `${ENV}/subscriptions/${subId}/api-keys/${first.id}/rotate`, {
      body: { gracePeriod: '1h' },
    });
    expect(rotated.statusCode, rotated.body).toBe(201);
    expect(rotated.json().previous.status).toBe('expiring');
    let keys = (await h.call('GET', `${ENV}/config`)).json().applications[0].subscriptions[0].apiKeys;
    expect(keys).toHaveLength(2);
    const old = keys.find((k: { id: string }) => k.id === first.id);
    expect(Date.parse(old.expiresAt) - Date.now()).toBeGreaterThan(59 * 60_000);
    expect((await h.call('DELETE', `${ENV}/subscriptions/${subId}/api-keys/${first.id}`)).statusCode).toBe(204);
    keys = (await h.call('GET', `${ENV}/config`)).json().applications[0].subscriptions[0].apiKeys;
    expect(keys.map((k: { id: string }) => k.id)).toEqual([rotated.json().id]);
  });

  it('answers ETag and enforces If-Match with 412', async () => {
    const created = await h.call('POST', `${ENV}/apis`, { body: API });
    const etag = created.headers.etag as string;
    expect(etag).toMatch(/^"1-/);
    const ok = await h.call('PATCH', `${ENV}/apis/orders`, {
      body: { name: 'Orders 2' },
      headers: { 'if-match': etag },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers.etag).not.toBe(etag);
    const stale = await h.call('PATCH', `${ENV}/apis/orders`, {
      body: { name: 'Orders 3' },
      headers: { 'if-match': etag },
    });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().code).toBe('precondition_failed');
    expect((await h.call('DELETE', `${ENV}/apis/orders`, { headers: { 'if-match': etag } })).statusCode).toBe(412);
    expect(
      (await h.call('DELETE', `${ENV}/apis/orders`, { headers: { 'if-match': ok.headers.etag as string } })).statusCode,
    ).toBe(204);
  });

  it('validates bodies, lists every bad field path and refuses unknown fields', async () => {
    const res = await h.call('POST', `${ENV}/apis`, {
      body: {
        id: 'Bad Id',
        name: '',
        basePath: 'orders',
        upstream: { targets: [{ url: 'ftp://x' }] },
        color: 'red',
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json();
    expect(body.code).toBe('validation_failed');
    const paths = body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining(['body.id', 'body.name', 'body.basePath', 'body.upstream.targets[0].url', 'body.color']),
    );
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
    const q = await h.call('GET', `${ENV}/apis?limit=500`);
    expect(q.statusCode).toBe(400);
    expect(q.json().errors[0].path).toBe('query.limit');
  });

  it('paginates with a cursor, filters and sorts', async () => {
    for (let i = 0; i < 7; i++) {
      await h.call('POST', `${ENV}/apis`, {
        body: {
          ...API,
          id: `api-${i}`,
          name: `API ${i}`,
          basePath: `/a${i}`,
          lifecycle: i % 2 ? 'draft' : 'published',
        },
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = (
        await h.call('GET', `${ENV}/apis?limit=3&sort=-name${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((a: { id: string }) => a.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['api-6', 'api-5', 'api-4', 'api-3', 'api-2', 'api-1', 'api-0']);
    const drafts = (await h.call('GET', `${ENV}/apis?lifecycle=draft`)).json().items;
    expect(drafts.map((a: { id: string }) => a.id)).toEqual(['api-1', 'api-3', 'api-5']);
    expect((await h.call('GET', `${ENV}/apis?cursor=garbage`)).statusCode).toBe(400);
  });

  it('isolates consumers and environments with 404s', async () => {
    await publishApi();
    const alice = await h.createUser('alice@example.test', 'consumer');
    const bob = await h.createUser('bob@example.test', 'consumer');
    const aliceApp = (
      await h.call('POST', `${ENV}/applications`, { token: alice.token, body: { name: 'Alice app' } })
    ).json();
    expect(aliceApp.ownerId).toBe(alice.id);
    const sub = await h.call('POST', `${ENV}/applications/${aliceApp.id}/subscriptions`, {
      token: alice.token,
      body: { apiId: 'orders', planId: 'gold' },
    });
    expect(sub.statusCode, sub.body).toBe(201);
    expect((await h.call('GET', `${ENV}/applications/${aliceApp.id}`, { token: bob.token })).statusCode).toBe(404);
    expect((await h.call('GET', `${ENV}/subscriptions/${sub.json().id}`, { token: bob.token })).statusCode).toBe(404);
    expect(
      (await h.call('POST', `${ENV}/subscriptions/${sub.json().id}/api-keys`, { token: bob.token })).statusCode,
    ).toBe(404);
    expect((await h.call('GET', `${ENV}/applications`, { token: bob.token })).json().items).toEqual([]);
    expect((await h.call('GET', `${ENV}/subscriptions`, { token: alice.token })).json().items).toHaveLength(1);
    // Consumers cannot approve, and see only the public catalog.
    expect(
      (await h.call('POST', `${ENV}/subscriptions/${sub.json().id}/approve`, { token: alice.token })).statusCode,
    ).toBe(403);
    await h.call('POST', `${ENV}/apis`, {
      body: { ...API, id: 'internal', basePath: '/internal', visibility: 'private' },
    });
    const catalog = (await h.call('GET', `${ENV}/apis`, { token: alice.token }))
      .json()
      .items.map((a: { id: string }) => a.id);
    expect(catalog).toEqual(['orders']);
    expect((await h.call('GET', `${ENV}/apis/internal`, { token: alice.token })).statusCode).toBe(404);
    // Another environment: not a member -> it does not exist.
    await h.call('POST', '/api/v1/environments', { body: { id: 'prod' } });
    expect((await h.call('GET', '/api/v1/environments/prod/apis', { token: alice.token })).statusCode).toBe(404);
    expect((await h.call('GET', '/api/v1/environments/prod/apis/orders')).statusCode).toBe(404);
  });

  it('logs in with throttling; tokens and passwords never appear in answers or the audit', async () => {
    const wrong = await h.call('POST', '/api/v1/auth/login', {
      token: null,
      body: { email: 'admin@example.test', password: 'nope' },
    });
    expect(wrong.statusCode).toBe(401);
    for (let i = 0; i < 4; i++)
      await h.call('POST', '/api/v1/auth/login', {
        token: null,
        body: { email: 'x@example.test', password: 'nope' },
      });
    await h.call('POST', '/api/v1/auth/login', {
      token: null,
      body: { email: 'x@example.test', password: 'nope' },
    });
    const throttled = await h.call('POST', '/api/v1/auth/login', {
      token: null,
      body: { email: 'x@example.test', password: 'nope' },
    });
    expect(throttled.statusCode).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);

    const pat = await h.call('POST', '/api/v1/users/me/tokens', { body: { name: 'ci', expiresIn: '7d' } });
    expect(pat.statusCode).toBe(201);
    const patToken = pat.json().token;
    expect((await h.call('GET', '/api/v1/users/me', { token: patToken })).json().email).toBe('admin@example.test');
    const pats = await h.call('GET', '/api/v1/users/me/tokens');
    expect(pats.body).not.toContain(patToken);
    expect((await h.call('DELETE', `/api/v1/users/me/tokens/${pat.json().id}`)).statusCode).toBe(204);
    expect((await h.call('GET', '/api/v1/users/me', { token: patToken })).statusCode).toBe(401);

    await publishApi();
    const appId = (await h.call('POST', `${ENV}/applications`, { body: { name: 'A' } })).json().id;
    const subId = (
      await h.call('POST', `${ENV}/applications/${appId}/subscriptions`, {
        body: { apiId: 'orders', planId: 'gold' },
      })
    ).json().id;
    const key = (await h.call('POST', `${ENV}/subscriptions/${subId}/api-keys`)).json().key;
    const gw = await h.call('POST', `${ENV}/gateways`, { body: { name: 'edge-1', tags: ['eu'] } });
    expect(gw.statusCode).toBe(201);
    const user = await h.call('POST', '/api/v1/users', {
      body: { email: 'carol@example.test', password: 'carol-secret-password' },
    });
    const audit = await h.call('GET', `${ENV}/audit?limit=100`);
    expect(audit.statusCode).toBe(200);
    const actions = audit.json().items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'api.create',
        'plan.create',
        'api.deploy',
        'application.create',
        'subscription.create',
        'apikey.create',
        'gateway.register',
      ]),
    );
    expect(audit.json().items[0].actor.email).toBe('admin@example.test');
    for (const secret of [key, gw.json().token, 'carol-secret-password', h.adminToken]) {
      expect(audit.body).not.toContain(secret);
      expect((await h.call('GET', `${ENV}/gateways`)).body).not.toContain(secret);
    }
    expect(user.body).not.toContain('carol-secret-password');

    // Logout ends the session; disabled users cannot sign in.
    expect((await h.call('POST', '/api/v1/auth/logout')).statusCode).toBe(204);
    expect((await h.call('GET', '/api/v1/users/me')).statusCode).toBe(401);
  });

  it('disabling a user ends their sessions', async () => {
    const dave = await h.createUser('dave@example.test', 'viewer');
    expect((await h.call('GET', `${ENV}/apis`, { token: dave.token })).statusCode).toBe(200);
    expect((await h.call('PATCH', `/api/v1/users/${dave.id}`, { body: { disabled: true } })).json().disabled).toBe(
      true,
    );
    expect((await h.call('GET', `${ENV}/apis`, { token: dave.token })).statusCode).toBe(401);
    const login = await h.call('POST', '/api/v1/auth/login', {
      token: null,
      body: { email: 'dave@example.test', password: 'a-long-enough-password' },
    });
    expect(login.statusCode).toBe(401);
  });

  it('imports an OpenAPI document into an API with routes', async () => {
    const doc = {
      openapi: '3.0.3',
      info: { title: 'Pet Store', version: '1.2.0' },
      servers: [{ url: 'https://pets.example.com/v1' }],
      paths: { '/pets': { get: {}, post: {} }, '/pets/{petId}': { get: {}, delete: {} } },
    };
    const res = await h.call('POST', `${ENV}/apis/import`, { body: { document: doc } });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      id: 'pet-store',
      version: '1.2.0',
      basePath: '/pet-store',
      upstream: { targets: [{ url: 'https://pets.example.com/v1' }] },
      routes: [
        { path: '/pets', methods: ['GET', 'POST'] },
        { path: '/pets/:petId', methods: ['GET', 'DELETE'] },
      ],
    });
    const bad = await h.call('POST', `${ENV}/apis/import`, { body: { document: { hello: 1 } } });
    expect(bad.statusCode).toBe(400);
  });

  it('answers problem+json for unknown routes and malformed JSON', async () => {
    const nf = await h.call('GET', '/api/v1/nope');
    expect(nf.statusCode).toBe(404);
    expect(nf.json().code).toBe('not_found');
    const bad = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{nope',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('bad_request');
    expect(bad.body).not.toContain('SyntaxError');
  });
});
