/**
 * The developer portal's server side: settings (validated), the public catalog and its one
 * visibility rule, documentation pages, plan limits in words, and an application's usage.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { analyticsRequests, environments } from './db/schema.js';
import { dayOf, ensurePartitions } from './services/analytics-partitions.js';
import { createHarness, describeOnBackends, type Harness } from './test-support/harness.js';

const ENV = '/api/v1/environments/default';
const PUB = '/api/v1/portal/default';
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]);
const pngLogo = (bytes = PNG) => `data:image/png;base64,${bytes.toString('base64')}`;

const api = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: id[0]!.toUpperCase() + id.slice(1),
  basePath: `/${id}`,
  upstream: { targets: [{ url: 'http://10.1.2.3:8080' }] },
  lifecycle: 'published',
  visibility: 'public',
  ...extra,
});

describeOnBackends('developer portal (server side)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backend);
  }, 120_000);
  beforeEach(async () => {
    await h.reset();
  });
  afterAll(async () => {
    await h?.close();
  });

  const anon = (url: string) => h.call('GET', url, { token: null });

  it('keeps a disabled portal invisible and validates every setting', async () => {
    const defaults = await h.call('GET', `${ENV}/portal`);
    expect(defaults.statusCode).toBe(200);
    expect(defaults.json()).toMatchObject({ enabled: false, signup: 'approval', logo: null, tryItBaseUrl: null });
    expect((await anon(`${PUB}/settings`)).statusCode).toBe(404);
    expect((await anon('/api/v1/portal/environments')).json()).toEqual({ items: [] });

    const bad: [Record<string, unknown>, string][] = [
      [{ logo: 'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=' }, 'body.logo'],
      [{ logo: `data:image/png;base64,${Buffer.from('<html>').toString('base64')}` }, 'body.logo'],
      [{ logo: 'https://example.com/logo.png' }, 'body.logo'],
      [{ logo: pngLogo(Buffer.concat([PNG, Buffer.alloc(256 * 1024)])) }, 'body.logo'],
      [{ primaryColor: 'red; background:url(x)' }, 'body.primaryColor'],
      [{ signup: 'anyone' }, 'body.signup'],
      [{ tryItBaseUrl: 'javascript:alert(1)' }, 'body.tryItBaseUrl'],
      [{ tryItBaseUrl: 'https://user:pw@gw.example.com' }, 'body.tryItBaseUrl'],
      [{ tryItBaseUrl: 'https://gw.example.com/?x=1' }, 'body.tryItBaseUrl'],
      [{ tryItBaseUrl: 'ftp://gw.example.com' }, 'body.tryItBaseUrl'],
    ];
    for (const [body, path] of bad) {
      const res = await h.call('PUT', `${ENV}/portal`, { body: { enabled: true, ...body } });
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json<{ errors: { path: string }[] }>().errors[0]!.path).toBe(path);
    }

    const put = await h.call('PUT', `${ENV}/portal`, {
      body: {
        enabled: true,
        name: 'Acme developers',
        logo: pngLogo(),
        primaryColor: '#AA3300',
        homeMarkdown: '# Welcome',
        signup: 'open',
        tryItBaseUrl: 'https://gw.example.com/',
      },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ primaryColor: '#aa3300', tryItBaseUrl: 'https://gw.example.com' });
    const stale = await h.call('PUT', `${ENV}/portal`, {
      body: { enabled: false },
      headers: { 'if-match': '"0-000000000000"' },
    });
    expect(stale.statusCode).toBe(412);

    expect((await anon('/api/v1/portal/environments')).json()).toEqual({
      items: [{ slug: 'default', name: 'Acme developers' }],
    });
    expect((await anon(`${PUB}/settings`)).json()).toEqual({
      name: 'Acme developers',
      logo: pngLogo(),
      primaryColor: '#aa3300',
      homeMarkdown: '# Welcome',
      signup: 'open',
      tryItBaseUrl: 'https://gw.example.com',
      emailConfigured: false,
    });
    // Only environment admins manage the portal.
    const publisher = await h.createUser('pub@example.test', 'publisher');
    expect((await h.call('GET', `${ENV}/portal`, { token: publisher.token })).statusCode).toBe(403);
  });

  it('lists only published or deprecated public APIs, searches and filters them, pages by name', async () => {
    await h.call('PUT', `${ENV}/portal`, { body: { enabled: true } });
    const create = async (body: Record<string, unknown>) =>
      expect((await h.call('POST', `${ENV}/apis`, { body })).statusCode).toBe(201);
    await create(api('orders', { description: 'Place and track orders', tags: ['commerce'], categories: ['Sales'] }));
    await create(api('billing', { tags: ['money', '100%_sure'], categories: ['Finance'] }));
    await create(api('legacy'));
    await h.call('PATCH', `${ENV}/apis/legacy`, { body: { lifecycle: 'deprecated' } });
    await create(api('secret', { visibility: 'private', description: 'orders internal' }));
    await create(api('drafty', { lifecycle: 'draft', description: 'orders next' }));
    await create(api('gone', { lifecycle: 'published' }));
    await h.call('PATCH', `${ENV}/apis/gone`, { body: { lifecycle: 'deprecated' } });
    await h.call('PATCH', `${ENV}/apis/gone`, { body: { lifecycle: 'retired' } });

    const slugs = async (query: string) =>
      (await anon(`${PUB}/apis${query}`)).json<{ items: { slug: string }[] }>().items.map((i) => i.slug);
    expect(await slugs('')).toEqual(['billing', 'legacy', 'orders']);
    const legacy = (await anon(`${PUB}/apis?q=legacy`)).json<{ items: { lifecycle: string }[] }>();
    expect(legacy.items[0]!.lifecycle).toBe('deprecated');
    expect(await slugs('?q=ORDERS')).toEqual(['orders']); // name and description, never the hidden ones
    expect(await slugs('?q=track')).toEqual(['orders']);
    expect(await slugs('?q=mone')).toEqual(['billing']); // tags
    expect(await slugs('?q=%25_')).toEqual(['billing']); // wildcards are literal
    expect(await slugs('?q=%25')).toEqual(['billing']);
    expect(await slugs('?q=_')).toEqual(['billing']);
    expect(await slugs('?tag=commerce')).toEqual(['orders']);
    expect(await slugs('?category=Finance')).toEqual(['billing']);
    expect(await slugs('?category=Nothing')).toEqual([]);

    const first = (await anon(`${PUB}/apis?limit=2`)).json<{ items: { slug: string }[]; nextCursor: string }>();
    expect(first.items.map((i) => i.slug)).toEqual(['billing', 'legacy']);
    const second = (await anon(`${PUB}/apis?limit=2&cursor=${first.nextCursor}`)).json<{
      items: { slug: string }[];
      nextCursor: string | null;
    }>();
    expect(second).toEqual({ items: [expect.objectContaining({ slug: 'orders' })], nextCursor: null });

    for (const hidden of ['secret', 'drafty', 'gone', 'nonexistent']) {
      for (const url of [`${PUB}/apis/${hidden}`, `${PUB}/apis/${hidden}/openapi`, `${PUB}/apis/${hidden}/pages/x`]) {
        const res = await anon(url);
        expect(res.statusCode, url).toBe(404);
      }
    }
  });

  it("serves an API's page: ordered doc pages, plans with limits, OpenAPI with the try-it server", async () => {
    await h.call('PUT', `${ENV}/portal`, { body: { enabled: true, tryItBaseUrl: 'https://gw.example.com' } });
    const openapi = {
      openapi: '3.0.3',
      info: { title: 'Orders', version: '1' },
      servers: [{ url: 'http://10.1.2.3:8080/internal' }],
      paths: { '/orders': { get: { responses: { 200: { description: 'ok' } } } } },
    };
    await h.call('POST', `${ENV}/apis`, { body: api('orders', { openapi }) });
    const plan = (body: Record<string, unknown>) => h.call('POST', `${ENV}/apis/orders/plans`, { body });
    expect(
      (
        await plan({
          id: 'gold',
          name: 'Gold',
          security: { type: 'api-key' },
          approval: 'manual',
          policies: [
            { policy: 'rate-limit', config: { limit: 100, window: '1m' } },
            { policy: 'quota', config: { limit: 10000, period: 'month' } },
          ],
        })
      ).statusCode,
    ).toBe(201);
    await plan({ id: 'hidden', security: { type: 'jwt', config: { secret: 'x'.repeat(32) } }, status: 'staging' });
    const page = (slug: string, title: string, position?: number) =>
      h.call('POST', `${ENV}/apis/orders/pages`, {
        body: { slug, title, markdown: `# ${title}`, ...(position === undefined ? {} : { position }) },
      });
    expect((await page('usage', 'Usage')).statusCode).toBe(201);
    expect((await page('errors', 'Errors')).statusCode).toBe(201);
    expect((await page('start', 'Getting started', 0)).statusCode).toBe(201);
    expect((await page('start', 'Again')).statusCode).toBe(409);

    const detail = (await anon(`${PUB}/apis/orders`)).json<Record<string, unknown>>();
    expect(detail).toMatchObject({
      slug: 'orders',
      hasOpenapi: true,
      pages: [
        { slug: 'start', title: 'Getting started' },
        { slug: 'usage', title: 'Usage' },
        { slug: 'errors', title: 'Errors' },
      ],
      plans: [
        {
          slug: 'gold',
          name: 'Gold',
          securityType: 'api-key',
          approval: 'manual',
          limits: ['API key', '100 requests per minute', '10,000 requests per month'],
        },
      ],
    });
    expect(JSON.stringify(detail)).not.toContain('10.1.2.3');
    expect((await anon(`${PUB}/apis/orders/pages/usage`)).json()).toEqual({
      slug: 'usage',
      title: 'Usage',
      markdown: '# Usage',
    });
    expect((await anon(`${PUB}/apis/orders/pages/nope`)).statusCode).toBe(404);
    const doc = (await anon(`${PUB}/apis/orders/openapi`)).json<{ servers: unknown; paths: unknown }>();
    expect(doc.servers).toEqual([{ url: 'https://gw.example.com/orders' }]);
    expect(doc.paths).toEqual(openapi.paths);

    // Publishers edit pages; the order follows position.
    const publisher = await h.createUser('pub@example.test', 'publisher');
    const put = await h.call('PUT', `${ENV}/apis/orders/pages/errors`, {
      token: publisher.token,
      body: { title: 'Errors', markdown: 'new', position: 0 },
    });
    expect(put.statusCode).toBe(200);
    const staff = await h.call('GET', `${ENV}/apis/orders/pages`, { token: publisher.token });
    expect(staff.json<{ items: { slug: string }[] }>().items.map((p) => p.slug)).toEqual(['errors', 'start', 'usage']);
    expect((await h.call('DELETE', `${ENV}/apis/orders/pages/usage`, { token: publisher.token })).statusCode).toBe(204);
    const viewer = await h.createUser('viewer@example.test', 'viewer');
    expect((await h.call('DELETE', `${ENV}/apis/orders/pages/start`, { token: viewer.token })).statusCode).toBe(403);
    const tooBig = await h.call('POST', `${ENV}/apis/orders/pages`, {
      body: { slug: 'big', title: 'Big', markdown: 'x'.repeat(200_001) },
    });
    expect(tooBig.statusCode).toBe(400);

    // Switching the portal off hides everything again.
    await h.call('PUT', `${ENV}/portal`, { body: { enabled: false } });
    expect((await anon(`${PUB}/apis/orders`)).statusCode).toBe(404);
    expect((await anon(`${PUB}/apis`)).statusCode).toBe(404);
  });

  it("reports an application's usage and quota to its owner only", async () => {
    await h.call('POST', `${ENV}/apis`, { body: api('orders') });
    await h.call('POST', `${ENV}/apis/orders/plans`, {
      body: {
        id: 'gold',
        security: { type: 'api-key' },
        policies: [{ policy: 'quota', config: { limit: 100, period: 'day' } }],
      },
    });
    await h.call('POST', `${ENV}/apis/orders/deployments`, { body: {} });
    const alice = await h.createUser('alice@example.test', 'consumer');
    const bob = await h.createUser('bob@example.test', 'consumer');
    const app = (await h.call('POST', `${ENV}/applications`, { token: alice.token, body: { name: 'A' } })).json<{
      id: string;
    }>();
    const sub = (
      await h.call('POST', `${ENV}/applications/${app.id}/subscriptions`, {
        token: alice.token,
        body: { apiId: 'orders', planId: 'gold' },
      })
    ).json<{ id: string; status: string }>();
    expect(sub.status).toBe('accepted');
    const [env] = await h.db.select({ id: environments.id }).from(environments).where(eq(environments.slug, 'default'));
    const envId = env!.id;
    const now = Date.now();
    const record = (status: number, latencyMs: number, errorCode: string | null = null) => ({
      id: randomUUID(),
      envId,
      time: new Date(now - 1000),
      api: 'orders',
      plan: 'gold',
      application: app.id,
      subscription: sub.id,
      method: 'GET',
      status,
      latencyMs,
      errorCode,
    });
    // Written straight into the table (not through ingest), so its day's partition is made here.
    await ensurePartitions(h.db, [dayOf(Date.now())]);
    await h.db
      .insert(analyticsRequests)
      .values([record(200, 10), record(200, 20), record(500, 30), record(429, 1, 'quota_exceeded')]);

    const usage = await h.call('GET', `${ENV}/applications/${app.id}/usage`, { token: alice.token });
    expect(usage.statusCode).toBe(200);
    expect(usage.json()).toMatchObject({
      applicationId: app.id,
      apis: [{ apiId: 'orders', requests: 4, errors: 2 }],
      subscriptions: [
        { id: sub.id, apiId: 'orders', planId: 'gold', quota: { limit: 100, period: 'day', used: 3, remaining: 97 } },
      ],
    });
    const resetsAt = Date.parse(
      usage.json<{ subscriptions: { quota: { resetsAt: string } }[] }>().subscriptions[0]!.quota.resetsAt,
    );
    expect(resetsAt).toBeGreaterThan(now);
    expect(resetsAt).toBeLessThanOrEqual(now + 86_400_000);

    const other = await h.call('GET', `${ENV}/applications/${app.id}/usage`, { token: bob.token });
    expect(other.statusCode).toBe(404);
    const missing = await h.call('GET', `${ENV}/applications/${randomUUID()}/usage`, { token: bob.token });
    expect(other.json<{ code: string; detail: string }>()).toEqual(
      expect.objectContaining({
        code: missing.json<{ code: string }>().code,
        detail: missing.json<{ detail: string }>().detail,
      }),
    );
    // Staff see every application's usage.
    expect((await h.call('GET', `${ENV}/applications/${app.id}/usage`)).statusCode).toBe(200);
  });
});
