/**
 * Policy configs, `when:` expressions and plan security are checked where they are written (400 with
 * field paths), and a deployment is checked as gateways check it (409), with the policy catalog.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { plans } from './db/schema.js';
import { createHarness, describeOnBackends, type Harness } from './test-support/harness.js';

const ENV = '/api/v1/environments/default';
const API = {
  id: 'orders',
  name: 'Orders',
  basePath: '/orders',
  upstream: { targets: [{ url: 'http://127.0.0.1:9101' }] },
  lifecycle: 'published',
};
const RATE_LIMIT_OK = { policy: 'rate-limit', config: { limit: 10, window: '1m' } };

type Problem = { status: number; code: string; errors?: Array<{ path: string; message: string }> };

describeOnBackends('policy checks', (backend) => {
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

  const errorsOf = (response: { json: <T>() => T }) => response.json<Problem>().errors ?? [];
  const paths = (response: { json: <T>() => T }) => errorsOf(response).map((e) => e.path);

  it('refuses a misspelled policy field on POST, PUT and PATCH of an API, with its path and a hint', async () => {
    const bad = [RATE_LIMIT_OK, { policy: 'rate-limit', config: { limit: 10, windw: '1m' } }];
    const created = await h.call('POST', `${ENV}/apis`, { body: { ...API, policies: bad } });
    expect(created.statusCode, created.body).toBe(400);
    expect(created.json<Problem>().code).toBe('validation_failed');
    expect(errorsOf(created)).toContainEqual({
      path: 'body.policies[1].config.windw',
      message: 'is not a known field (did you mean "window"?)',
    });
    expect(paths(created)).toContain('body.policies[1].config.window');

    expect((await h.call('POST', `${ENV}/apis`, { body: API })).statusCode).toBe(201);
    const patched = await h.call('PATCH', `${ENV}/apis/orders`, {
      body: { policies: [RATE_LIMIT_OK, { policy: 'rate-limit', config: { limit: 10, window: '0s' } }] },
    });
    expect(patched.statusCode).toBe(400);
    expect(errorsOf(patched)).toContainEqual({
      path: 'body.policies[1].config.window',
      message: 'must be at least 1ms',
    });

    const put = await h.call('PUT', `${ENV}/apis/orders`, {
      body: {
        ...API,
        id: undefined,
        routes: [
          { path: '/a' },
          {
            path: '/b',
            policies: [{ policy: 'set-headers', config: { request: { set: { 'Content-Length': '1' } } } }],
          },
        ],
      },
    });
    expect(put.statusCode, put.body).toBe(400);
    expect(paths(put)).toContain('body.routes[1].policies[0].config.request.set.Content-Length');
    // Nothing was stored.
    expect((await h.call('GET', `${ENV}/apis/orders`)).json<{ routes: unknown }>().routes).toBeNull();
  });

  it('reports schema problems and policy problems of one request together', async () => {
    const response = await h.call('POST', `${ENV}/apis`, {
      body: { ...API, basePath: 'no-slash', policies: [{ policy: 'rate-limt', config: {} }] },
    });
    expect(response.statusCode).toBe(400);
    expect(paths(response)).toEqual(expect.arrayContaining(['body.basePath', 'body.policies[0].policy']));
    expect(errorsOf(response).find((e) => e.path === 'body.policies[0].policy')?.message).toBe(
      'unknown policy "rate-limt" (did you mean "rate-limit"?)',
    );
  });

  it('refuses a `when:` that is not valid CEL', async () => {
    const response = await h.call('POST', `${ENV}/apis`, {
      body: { ...API, policies: [{ ...RATE_LIMIT_OK, when: 'request.method == ' }] },
    });
    expect(response.statusCode).toBe(400);
    expect(errorsOf(response)[0]?.path).toBe('body.policies[0].when');
    expect(errorsOf(response)[0]?.message).toContain('invalid CEL expression');
  });

  it('refuses basic-auth password hashes that are not bcrypt or argon2 on write, without echoing them', async () => {
    const argon = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
    const basic = (passwordHash: string) => ({
      policy: 'basic-auth',
      config: { credentials: [{ username: 'ops', passwordHash }] },
    });
    const created = await h.call('POST', `${ENV}/apis`, { body: { ...API, policies: [basic('plaintext-secret')] } });
    expect(created.statusCode, created.body).toBe(400);
    expect(paths(created)).toEqual(['body.policies[0].config.credentials[0].passwordHash']);
    expect(created.body).not.toContain('plaintext-secret');

    expect((await h.call('POST', `${ENV}/apis`, { body: { ...API, policies: [basic(argon)] } })).statusCode).toBe(201);
    const plan = await h.call('POST', `${ENV}/apis/orders/plans`, {
      body: { id: 'gold', security: { type: 'api-key' }, policies: [basic('$2b$10$short')] },
    });
    expect(plan.statusCode).toBe(400);
    expect(paths(plan)).toEqual(['body.policies[0].config.credentials[0].passwordHash']);
  });

  it('refuses an inline OpenAPI document gateways would refuse on write, at the path inside the document', async () => {
    const document = (pattern: string) => ({
      openapi: '3.1.0',
      info: { title: 'Orders', version: '1' },
      paths: { '/orders/{id}': { get: { parameters: [{ name: 'id', in: 'path', schema: { type: 'string' } }] } } },
      components: { schemas: { Order: { type: 'object', properties: { ref: { type: 'string', pattern } } } } },
    });
    const validation = (pattern: string) => ({ policy: 'openapi-validation', config: { document: document(pattern) } });
    const created = await h.call('POST', `${ENV}/apis`, {
      body: { ...API, policies: [validation('^(?!tmp-)[a-z-]+$')] },
    });
    expect(created.statusCode, created.body).toBe(400);
    expect(errorsOf(created)).toEqual([
      {
        path: 'body.policies[0].config.document.components.schemas.Order.properties.ref.pattern',
        message: expect.stringContaining('RE2'),
      },
    ]);

    expect((await h.call('POST', `${ENV}/apis`, { body: API })).statusCode).toBe(201);
    const routed = await h.call('PATCH', `${ENV}/apis/orders`, {
      body: {
        routes: [
          {
            id: 'all',
            path: '/',
            policies: [{ policy: 'openapi-validation', config: { document: { swagger: '2.0' } } }],
          },
        ],
      },
    });
    expect(routed.statusCode, routed.body).toBe(400);
    expect(errorsOf(routed)).toContainEqual({
      path: 'body.routes[0].policies[0].config.document',
      message: expect.stringContaining('OpenAPI 3.0 and 3.1'),
    });

    const fine = await h.call('PATCH', `${ENV}/apis/orders`, { body: { policies: [validation('^[a-z-]+$')] } });
    expect(fine.statusCode, fine.body).toBe(200);
  });

  it('checks plan security and plan policies on POST and PATCH; security types come from the catalog', async () => {
    expect((await h.call('POST', `${ENV}/apis`, { body: API })).statusCode).toBe(201);
    const basic = await h.call('POST', `${ENV}/apis/orders/plans`, {
      body: { id: 'gold', security: { type: 'basic-auth' } },
    });
    expect(basic.statusCode).toBe(400);
    expect(paths(basic)).toEqual(['body.security.type']);

    const typo = await h.call('POST', `${ENV}/apis/orders/plans`, {
      body: { id: 'gold', security: { type: 'apikey' } },
    });
    expect(typo.statusCode).toBe(400);
    expect(errorsOf(typo)[0]?.message).toContain('(did you mean "api-key"?)');

    const config = await h.call('POST', `${ENV}/apis/orders/plans`, {
      body: {
        id: 'gold',
        security: { type: 'api-key', config: { hedaer: 'X-Key' } },
        policies: [{ policy: 'timeout', config: { response: '0ms' } }],
      },
    });
    expect(config.statusCode).toBe(400);
    expect(paths(config)).toEqual(
      expect.arrayContaining(['body.security.config.hedaer', 'body.policies[0].config.response']),
    );

    expect(
      (await h.call('POST', `${ENV}/apis/orders/plans`, { body: { id: 'gold', security: { type: 'api-key' } } }))
        .statusCode,
    ).toBe(201);
    const patched = await h.call('PATCH', `${ENV}/apis/orders/plans/gold`, {
      body: { policies: [RATE_LIMIT_OK, { policy: 'rate-limit', config: { limit: 0, window: '1m' } }] },
    });
    expect(patched.statusCode).toBe(400);
    expect(paths(patched)).toContain('body.policies[1].config.limit');
  });

  it('refuses to deploy a definition that gateways would refuse (409, with every path)', async () => {
    expect((await h.call('POST', `${ENV}/apis`, { body: API })).statusCode).toBe(201);
    expect(
      (await h.call('POST', `${ENV}/apis/orders/plans`, { body: { id: 'gold', security: { type: 'keyless' } } }))
        .statusCode,
    ).toBe(201);
    // A plan stored before writes were checked (or by a direct database edit): passes nothing a gateway checks.
    await h.db
      .update(plans)
      .set({ policies: [{ policy: 'rate-limit', config: { limit: 5, windw: '1m' } }, { policy: 'nope' }] })
      .where(eq(plans.slug, 'gold'));
    const deploy = await h.call('POST', `${ENV}/apis/orders/deployments`, { body: {} });
    expect(deploy.statusCode, deploy.body).toBe(409);
    expect(deploy.headers['content-type']).toContain('application/problem+json');
    expect(deploy.json<Problem>().code).toBe('not_deployable');
    expect(paths(deploy)).toEqual(
      expect.arrayContaining([
        'apis[0].plans[0].policies[0].config.windw',
        'apis[0].plans[0].policies[0].config.window',
        'apis[0].plans[0].policies[1].policy',
      ]),
    );
    expect((await h.call('GET', `${ENV}/apis/orders/deployments`)).json<{ items: unknown[] }>().items).toHaveLength(0);
  });

  it('serves the catalog: policies and security types with their JSON Schemas', async () => {
    const response = await h.call('GET', '/api/v1/policies');
    expect(response.statusCode, response.body).toBe(200);
    const catalog = response.json<{
      policies: Array<{ name: string; version: string; phases: string[]; configSchema: { properties?: object } }>;
      securityTypes: Array<{ type: string; configSchema: object }>;
    }>();
    const rateLimit = catalog.policies.find((p) => p.name === 'rate-limit');
    expect(rateLimit?.phases).toEqual(['request', 'response']);
    expect(Object.keys(rateLimit?.configSchema.properties ?? {})).toContain('window');
    expect(catalog.securityTypes.map((s) => s.type).sort()).toEqual(['api-key', 'jwt', 'keyless', 'mtls', 'oauth2']);
    expect((await h.call('GET', '/api/v1/policies', { token: null })).statusCode).toBe(401);
  });
});
