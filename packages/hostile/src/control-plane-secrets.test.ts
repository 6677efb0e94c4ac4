/**
 * Attack class: reading secrets back through the management API. Every role (admin included)
 * reads every read endpoint and never sees a secret value (JWT HMAC secret, OAuth2 client secret,
 * upstream credentials in set-headers and http-callout headers, basic-auth hashes); consumers see
 * the catalog only (no targets, policies or configs). Secrets are encrypted at rest, a mask sent
 * back keeps the stored value, and gateways still receive the secret in their document.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createHarness, type Harness } from '../../control-plane/src/test-support/harness.js';

const ENV = '/api/v1/environments/default';
const SECRETS = {
  jwt: 'jwt-hmac-secret-CCC-0123456789-0123456789',
  oauth: 'oauth-client-secret-DDD',
  upstreamAuth: 'Bearer upstream-token-AAA',
  calloutKey: 'callout-key-BBB',
  basicHash: '$2b$10$abcdefghijklmnopqrstuuJ3sG0Hd8Jb8nQKJ1lZ2B4rXk9P7m2Wy',
};
const UPSTREAM = 'http://127.0.0.1:9199';

const API = {
  id: 'orders',
  name: 'Orders',
  description: 'Order management',
  basePath: '/orders',
  tags: ['shop'],
  lifecycle: 'published',
  visibility: 'public',
  upstream: { targets: [{ url: UPSTREAM }] },
  policies: [
    {
      policy: 'set-headers',
      config: { request: { set: { Authorization: SECRETS.upstreamAuth, 'X-Trace': 'visible-value' } } },
    },
    {
      policy: 'http-callout',
      config: { url: 'http://127.0.0.1:9198/check', headers: { 'X-Api-Key': SECRETS.calloutKey, Accept: 'x/y' } },
    },
  ],
  routes: [
    {
      path: '/admin',
      policies: [
        { policy: 'basic-auth', config: { credentials: [{ username: 'ops', passwordHash: SECRETS.basicHash }] } },
      ],
    },
  ],
};

const backend = backends()[0]!; // PGlite: the code paths do not differ by database here.

describe('control plane: secrets are write-only, consumers see a catalog', () => {
  let h: Harness;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    h = await createHarness(backend);
    const create = await h.call('POST', `${ENV}/apis`, { body: API });
    expect(create.statusCode, create.body).toBe(201);
    const jwtPlan = await h.call('POST', `${ENV}/apis/orders/plans`, {
      body: {
        id: 'jwt',
        name: 'JWT',
        description: 'Tokens',
        security: { type: 'jwt', config: { secret: SECRETS.jwt } },
      },
    });
    expect(jwtPlan.statusCode, jwtPlan.body).toBe(201);
    const oauthPlan = await h.call('POST', `${ENV}/apis/orders/plans`, {
      body: {
        id: 'oauth',
        security: {
          type: 'oauth2',
          config: { introspectionUrl: 'http://127.0.0.1:9197/introspect', clientId: 'gw', clientSecret: SECRETS.oauth },
        },
      },
    });
    expect(oauthPlan.statusCode, oauthPlan.body).toBe(201);
    const deploy = await h.call('POST', `${ENV}/apis/orders/deployments`, { body: {} });
    expect(deploy.statusCode, deploy.body).toBe(201);
    tokens.admin = h.adminToken;
    for (const role of ['publisher', 'viewer', 'consumer'] as const) {
      tokens[role] = (await h.createUser(`${role}@example.test`, role)).token;
    }
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  const READS = [
    `${ENV}/apis`,
    `${ENV}/apis/orders`,
    `${ENV}/apis/orders/plans`,
    `${ENV}/apis/orders/plans/jwt`,
    `${ENV}/apis/orders/plans/oauth`,
    `${ENV}/apis/orders/deployments`,
    `${ENV}/apis/orders/deployments/1`,
    `${ENV}/config`,
    `${ENV}/audit`,
  ];

  function expectNoSecret(url: string, body: string) {
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(body.includes(value), `${url} shows the ${name} secret`).toBe(false);
    }
    expect(body.includes('upstream-token-AAA'), `${url} shows the upstream token`).toBe(false);
  }

  it('no role reads a secret value from any read endpoint; staff see masks', async () => {
    let readable = 0;
    for (const role of ['admin', 'publisher', 'viewer', 'consumer']) {
      for (const url of READS) {
        const res = await h.call('GET', url, { token: tokens[role]! });
        if (res.statusCode !== 200) continue;
        readable++;
        expectNoSecret(`${role} GET ${url}`, res.body);
      }
    }
    expect(readable).toBeGreaterThan(20);
    const plan = (await h.call('GET', `${ENV}/apis/orders/plans/jwt`, { token: tokens.viewer! })).json<{
      security: { config: { secret: string } };
    }>();
    expect(plan.security.config.secret).toBe('********');
    const api = (await h.call('GET', `${ENV}/apis/orders`, { token: tokens.viewer! })).json<{
      policies: { config: { request?: { set: Record<string, string> }; headers?: Record<string, string> } }[];
    }>();
    expect(api.policies[0]!.config.request!.set).toEqual({ Authorization: '********', 'X-Trace': 'visible-value' });
    expect(api.policies[1]!.config.headers).toEqual({ 'X-Api-Key': '********', Accept: 'x/y' });
  });

  it('a consumer gets the catalog: names, descriptions, tags, plan security types; no targets, policies or configs', async () => {
    for (const url of READS.slice(0, 5)) {
      const res = await h.call('GET', url, { token: tokens.consumer! });
      expect(res.statusCode, url).toBe(200);
      for (const leak of [UPSTREAM, '9199', 'targets', 'upstream', 'policies', 'config', 'X-Trace', '/admin']) {
        expect(res.body.includes(leak), `consumer GET ${url} shows ${leak}`).toBe(false);
      }
    }
    const api = (await h.call('GET', `${ENV}/apis/orders`, { token: tokens.consumer! })).json<
      Record<string, unknown>
    >();
    expect(api).toMatchObject({ id: 'orders', name: 'Orders', description: 'Order management', tags: ['shop'] });
    const plans = (await h.call('GET', `${ENV}/apis/orders/plans`, { token: tokens.consumer! })).json<{
      items: { id: string; security: unknown }[];
    }>();
    expect(plans.items.map((p) => [p.id, p.security])).toEqual([
      ['jwt', { type: 'jwt' }],
      ['oauth', { type: 'oauth2' }],
    ]);
  });

  it('stores secrets encrypted: no plaintext in any table, the signing key sealed', async () => {
    const dump = async (query: string) =>
      JSON.stringify(((await h.db.execute(sql.raw(query))) as unknown as { rows: unknown[] }).rows);
    const stored = [
      await dump('SELECT policies, routes FROM apis'),
      await dump('SELECT security_config, policies FROM plans'),
      await dump('SELECT snapshot FROM deployments'),
      await dump('SELECT diff FROM audit_events'),
    ].join('\n');
    expectNoSecret('database', stored);
    expect(stored).toContain('ghsb:v1:');
    const keys = await dump('SELECT private_key_pem FROM signing_keys');
    expect(keys).not.toContain('PRIVATE KEY');
    expect(keys).toContain('ghsb:v1:');
  });

  it('a write sending the mask back keeps the stored secret; gateways receive it in clear', async () => {
    const read = (await h.call('GET', `${ENV}/apis/orders/plans/jwt`)).json<{ security: unknown; name: string }>();
    const patch = await h.call('PATCH', `${ENV}/apis/orders/plans/jwt`, {
      body: { name: 'JWT (renamed)', security: read.security },
    });
    expect(patch.statusCode, patch.body).toBe(200);
    const api = (await h.call('GET', `${ENV}/apis/orders`)).json<{ policies: unknown[] }>();
    const put = await h.call('PATCH', `${ENV}/apis/orders`, { body: { policies: api.policies } });
    expect(put.statusCode, put.body).toBe(200);
    expect((await h.call('POST', `${ENV}/apis/orders/deployments`, { body: {} })).statusCode).toBe(201);

    const gateway = await h.call('POST', `${ENV}/gateways`, { body: { name: 'edge-1' } });
    expect(gateway.statusCode, gateway.body).toBe(201);
    const sync = await h.app.inject({
      method: 'GET',
      url: '/api/v1/gateway/sync',
      headers: { authorization: `Bearer ${gateway.json<{ token: string }>().token}` },
    });
    expect(sync.statusCode, sync.body).toBe(200);
    for (const value of Object.values(SECRETS)) expect(sync.body).toContain(JSON.stringify(value).slice(1, -1));
    expect(sync.body).not.toContain('********');
    expect(sync.body).not.toContain('ghsb:');
  });

  it('refuses the mask where no secret is stored, with the field path', async () => {
    const res = await h.call('POST', `${ENV}/apis/orders/plans`, {
      body: { id: 'jwt2', security: { type: 'jwt', config: { secret: '********' } } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ errors: { path: string }[] }>().errors[0]!.path).toBe('body.security.config.secret');
  });
});
