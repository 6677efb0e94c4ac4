/**
 * The developer portal's static app at /portal/: the same strict CSP as the console, plus the
 * try-it gateway origin of the environment the page belongs to (and nothing when the portal is off);
 * index.html carries the portal's public settings and the catalog's first page as a JSON data
 * island (what the anonymous endpoints answer); a control plane without a portal build answers 404.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerErrorHandling } from './http/errors.js';
import { registerPortal } from './http/portal-static.js';
import { DATA_ISLAND } from './http/static-app.js';
import { createHarness, describeOnBackends, type Harness } from './test-support/harness.js';

describeOnBackends('developer portal static app', (backend) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-portal-dist-'));
  let h: Harness;
  let portal: FastifyInstance;
  let unbuilt: FastifyInstance;
  beforeAll(async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(
      join(dir, 'index.html'),
      `<!doctype html><html><head><title>portal</title></head><body>${DATA_ISLAND}</body></html>`,
    );
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
    h = await createHarness(backend);
    const build = async (path: string) => {
      const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
      registerErrorHandling(app);
      registerPortal(app, { db: h.db, orgId: h.orgId, dir: path });
      await app.ready();
      return app;
    };
    portal = await build(`${dir}/`);
    unbuilt = await build(join(dir, 'missing'));
  }, 120_000);
  afterAll(async () => {
    await portal?.close();
    await unbuilt?.close();
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cspOf = async (url: string) => {
    const res = await portal.inject({ url });
    expect(res.statusCode, url).toBe(200);
    return String(res.headers['content-security-policy']);
  };

  it("allows connections to the environment's try-it gateway origin only", async () => {
    expect(await cspOf('/portal/')).toContain("connect-src 'self';");
    const put = await h.call('PUT', '/api/v1/environments/default/portal', {
      body: { enabled: true, tryItBaseUrl: 'https://gw.example.com:8443/base' },
    });
    expect(put.statusCode).toBe(200);
    for (const url of ['/portal/', '/portal/default/apis/orders']) {
      const csp = await cspOf(url);
      expect(csp, url).toContain("connect-src 'self' https://gw.example.com:8443;");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
    }
    // An unknown environment, or one without a portal: its pages get no extra origin.
    expect(await cspOf('/portal/unknown-env')).toContain("connect-src 'self';");
    const env = await h.call('POST', '/api/v1/environments', { body: { id: 'staging', name: 'Staging' } });
    expect(env.statusCode).toBe(201);
    expect(await cspOf('/portal/staging/apis')).toContain("connect-src 'self';");
    await h.call('PUT', '/api/v1/environments/default/portal', { body: { enabled: false } });
    expect(await cspOf('/portal/default/apis')).toContain("connect-src 'self';");

    const asset = await portal.inject({ url: '/portal/assets/index-abc.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await portal.inject({ url: '/portal/assets/gone.js' })).statusCode).toBe(404);
    const redirect = await portal.inject({ url: '/portal' });
    expect(redirect.headers.location).toBe('/portal/');
  });

  /** The data island of index.html at `url`, parsed; null when the page has none. */
  const islandOf = async (url: string) => {
    const res = await portal.inject({ url });
    expect(res.statusCode, url).toBe(200);
    const match = /<script type="application\/json" id="boot-data">([^<]*)<\/script>/.exec(res.body);
    expect(match, url).not.toBeNull();
    return match![1] ? JSON.parse(match![1]) : null;
  };

  it("puts the portal's settings and the catalog's first page in index.html, as the API answers them", async () => {
    const put = await h.call('PUT', '/api/v1/environments/default/portal', {
      body: { enabled: true, name: 'Island portal', tryItBaseUrl: null },
    });
    expect(put.statusCode).toBe(200);
    const api = (id: string, extra: Record<string, unknown>) => ({
      id,
      name: id,
      basePath: `/${id}`,
      upstream: { targets: [{ url: 'http://10.9.8.7:1234' }] },
      lifecycle: 'published',
      visibility: 'public',
      ...extra,
    });
    for (const body of [
      api('island-a', { description: 'first', tags: ['alpha'] }),
      api('island-b', { description: 'second', tags: ['beta'] }),
      api('island-hidden', { visibility: 'private', description: 'not for visitors' }),
    ]) {
      expect((await h.call('POST', '/api/v1/environments/default/apis', { body })).statusCode).toBe(201);
    }
    const anonymous = async (url: string) =>
      (await h.call('GET', `/api/v1/portal/default${url}`, { token: null })).json();
    const settings = await anonymous('/settings');
    const island = await islandOf('/portal/default/');
    expect(island.env).toBe('default');
    expect(island.settings).toEqual(settings);
    expect(island.catalog.filters).toEqual({ q: '', category: '', tag: '' });
    const slugs = island.catalog.page.items.map((i: { slug: string }) => i.slug);
    expect(slugs).toEqual(['island-a', 'island-b']);
    expect(island.catalog.page).toEqual(await anonymous('/apis?limit=24'));
    expect((await islandOf('/portal/default?q=%20second%20')).catalog).toMatchObject({
      filters: { q: 'second', category: '', tag: '' },
      page: { items: [{ slug: 'island-b' }] },
    });
    expect((await islandOf('/portal/default/?tag=alpha')).catalog.page.items).toHaveLength(1);
    // Other pages get the settings only; filters the API would refuse get no catalog (the app asks, and gets the 400).
    expect(await islandOf('/portal/default/apis/island-a')).toEqual({ env: 'default', settings });
    expect((await islandOf(`/portal/default/?q=${'a'.repeat(201)}`)).catalog).toBeUndefined();
    expect((await islandOf('/portal/default/?tag=a&tag=b')).catalog).toBeUndefined();
    // No portal here (unknown, disabled, or the environment picker at /portal/): nothing to carry.
    expect(await islandOf('/portal/nowhere/')).toBeNull();
    expect(await islandOf('/portal/')).toBeNull();
    await h.call('PUT', '/api/v1/environments/default/portal', { body: { enabled: false } });
    expect(await islandOf('/portal/default/')).toBeNull();
  });

  it('answers 404 (problem+json, how to build it) without a portal build', async () => {
    const res = await unbuilt.inject({ url: '/portal/' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.json().detail).toContain('npm run build');
  });
});
