/**
 * Attack class: the developer portal's anonymous reads and what feeds them. A visitor without an
 * account probes for drafts and private APIs (by name, search, tag, page and OpenAPI URLs), sends
 * hostile search strings (huge, regex and SQL wildcard characters), forges cursors; a consumer asks
 * for another consumer's usage; an admin (or a stolen admin session) stores an oversized logo, a
 * logo that is not an image, oversized markdown, or a javascript: try-it URL that the portal would
 * put in its CSP and call; markup in an API's description or the portal's name that tries to break
 * out of the JSON data island of the portal's index.html. Every refusal is a 400/404 problem+json;
 * hidden things answer exactly as things that do not exist. Real control plane on loopback, PostgreSQL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlPlane, DATA_ISLAND } from '@gatehouse/control-plane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRaw, rawRequest } from './raw.js';
import { database, type HostileControlPlane, startHostileControlPlane } from './support/control-plane.js';

const ADMIN = { email: 'portal-admin@example.test', password: 'portal-catalog-password-1' };
const ENV = '/api/v1/environments/default';
const PUB = '/api/v1/portal/default';
const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe.skipIf(Boolean(database.skipReason))('developer portal catalog under attack', () => {
  let h: HostileControlPlane;
  let cp: ControlPlane;
  let admin: string;
  // A portal build of one index.html with the data island's place (this suite does not need the real app).
  const portalDir = mkdtempSync(join(tmpdir(), 'gatehouse-hostile-portal-'));

  const call = async (method: string, path: string, body?: unknown, token: string | null = admin) => {
    const answer = await h.call(method, path, token, body);
    return { ...answer, json: () => JSON.parse(answer.text) };
  };
  const anon = (path: string) => call('GET', path, undefined, null);
  const login = (email: string, password: string) => h.login(email, password);

  beforeAll(async () => {
    writeFileSync(
      join(portalDir, 'index.html'),
      `<!doctype html><html><head></head><body>${DATA_ISLAND}</body></html>`,
    );
    process.env.GATEHOUSE_PORTAL_DIR = portalDir;
    h = await startHostileControlPlane(ADMIN);
    cp = h.cp;
    admin = h.adminToken;
    const api = (id: string, extra: Record<string, unknown>) => ({
      id,
      name: id,
      basePath: `/${id}`,
      upstream: { targets: [{ url: 'http://10.9.8.7:1234' }] },
      tags: ['shared-tag'],
      categories: ['Shared'],
      openapi: { openapi: '3.0.3', info: { title: id, version: '1' }, paths: {} },
      ...extra,
    });
    for (const body of [
      api('visible', { lifecycle: 'published', visibility: 'public', description: 'the public one' }),
      api('private-one', { lifecycle: 'published', visibility: 'private', description: 'secret sauce' }),
      api('draft-one', { lifecycle: 'draft', visibility: 'public', description: 'secret sauce soon' }),
    ]) {
      expect((await call('POST', `${ENV}/apis`, body)).status).toBe(201);
      expect(
        (await call('POST', `${ENV}/apis/${body.id}/pages`, { slug: 'intro', title: 'Intro', markdown: 'secret' }))
          .status,
      ).toBe(201);
    }
    expect((await call('PUT', `${ENV}/portal`, { enabled: true })).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    delete process.env.GATEHOUSE_PORTAL_DIR;
    rmSync(portalDir, { recursive: true, force: true });
  }, 120_000);

  const slugs = async (query: string) => {
    const res = await anon(`${PUB}/apis${query}`);
    expect(res.status, query).toBe(200);
    return (res.json().items as { slug: string }[]).map((i) => i.slug);
  };

  it('never shows a private or draft API: not listed, not searchable, no page, pages or OpenAPI', async () => {
    expect(await slugs('')).toEqual(['visible']);
    for (const query of [
      '?q=secret',
      '?q=sauce',
      '?q=private',
      '?q=draft',
      '?q=shared',
      '?tag=shared-tag',
      '?category=Shared',
    ]) {
      const found = await slugs(query);
      expect(
        found.filter((s) => s !== 'visible'),
        query,
      ).toEqual([]);
    }
    const nonexistent = await anon(`${PUB}/apis/no-such-api`);
    expect(nonexistent.status).toBe(404);
    for (const hidden of ['private-one', 'draft-one']) {
      for (const suffix of ['', '/openapi', '/pages/intro']) {
        const res = await anon(`${PUB}/apis/${hidden}${suffix}`);
        expect(res.status, `${hidden}${suffix}`).toBe(404);
        expect(res.type).toMatch(/^application\/problem\+json/);
        // Same answer as for a name that does not exist (only the echoed name differs).
        expect(res.text.replaceAll(hidden, 'X')).toBe(
          (await anon(`${PUB}/apis/no-such-api${suffix}`)).text.replaceAll('no-such-api', 'X'),
        );
      }
    }
    const detail = await anon(`${PUB}/apis/visible`);
    expect(detail.text).not.toContain('10.9.8.7');
    expect((await anon(`${PUB}/apis/visible/openapi`)).text).not.toContain('10.9.8.7');
  });

  it('answers a disabled or unknown environment exactly alike, for every public read', async () => {
    const env = await call('POST', '/api/v1/environments', { id: 'staging', name: 'Staging' });
    expect(env.status).toBe(201);
    for (const suffix of ['/settings', '/apis', '/apis/visible', '/apis/visible/openapi']) {
      const off = await anon(`/api/v1/portal/staging${suffix}`);
      const unknown = await anon(`/api/v1/portal/nowhere${suffix}`);
      expect(off.status).toBe(404);
      expect(off.text.replaceAll('staging', 'X')).toBe(unknown.text.replaceAll('nowhere', 'X'));
    }
    expect((await anon('/api/v1/portal/environments')).json().items).toEqual([{ slug: 'default', name: 'Default' }]);
  });

  it('treats hostile search strings as plain text: wildcards and regex characters are literal, huge ones 400', async () => {
    for (const q of [
      '%',
      '_',
      '%%',
      '\\',
      "'",
      "' OR '1'='1",
      '.*',
      '(a+)+$',
      '[',
      '$1',
      '{1}',
      '\\%',
      'sec%et',
      's_cret',
    ]) {
      const found = await slugs(`?q=${encodeURIComponent(q)}`);
      expect(found, q).toEqual([]);
    }
    const tooLong = await anon(`${PUB}/apis?q=${'a'.repeat(201)}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.json().errors[0].path).toBe('query.q');
    // A huge query line: refused before any work, the connection answered, never a 5xx.
    const huge = await rawRequest(
      cp.port,
      `GET ${PUB}/apis?q=${'%25'.repeat(40_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      { timeoutMs: 5_000 },
    );
    expect([400, 414, 431]).toContain(parseRaw(huge.text).status);
    for (const cursor of [
      'x',
      'eyJzIjoibmFtZSJ9',
      Buffer.from('{"s":"-name","v":"a","id":"b"}').toString('base64url'),
    ]) {
      const res = await anon(`${PUB}/apis?cursor=${cursor}`);
      expect(res.status, cursor).toBe(400);
    }
    // A well-formed cursor cannot reach hidden rows: it only moves the start of the name order.
    const forged = Buffer.from(
      JSON.stringify({ s: 'name', v: '', id: '00000000-0000-0000-0000-000000000000' }),
    ).toString('base64url');
    expect(await slugs(`?cursor=${forged}`)).toEqual(['visible']);
  });

  it("hides another consumer's application usage (404, same as a nonexistent one)", async () => {
    const user = async (email: string) => {
      const created = await call('POST', '/api/v1/users', { email, password: 'a-long-enough-password' });
      await call('POST', `${ENV}/members`, { userId: created.json().id, role: 'consumer' });
      return login(email, 'a-long-enough-password');
    };
    const alice = await user('alice-portal@example.test');
    const mallory = await user('mallory-portal@example.test');
    const app = (await call('POST', `${ENV}/applications`, { name: 'alice app' }, alice)).json();
    expect((await call('GET', `${ENV}/applications/${app.id}/usage`, undefined, alice)).status).toBe(200);
    const stolen = await call('GET', `${ENV}/applications/${app.id}/usage`, undefined, mallory);
    const none = await call(
      'GET',
      `${ENV}/applications/00000000-0000-4000-8000-000000000000/usage`,
      undefined,
      mallory,
    );
    expect(stolen.status).toBe(404);
    // Same answer as a nonexistent id (only the echoed `instance` URL differs).
    expect(stolen.text.replaceAll(app.id, 'X')).toBe(none.text.replaceAll('00000000-0000-4000-8000-000000000000', 'X'));
    expect((await call('GET', `${ENV}/applications/${app.id}/usage`, undefined, null)).status).toBe(401);
  }, 120_000); // two accounts: password hashing is slow by design

  it('refuses oversized or disguised logos, oversized markdown and non-http(s) try-it URLs', async () => {
    const settings = (body: Record<string, unknown>) => call('PUT', `${ENV}/portal`, { enabled: true, ...body });
    const refused = async (body: Record<string, unknown>, path: string) => {
      const res = await settings(body);
      expect(res.status, JSON.stringify(body).slice(0, 100)).toBe(400);
      expect(res.json().errors[0].path).toBe(path);
    };
    const png = (size: number) =>
      `data:image/png;base64,${Buffer.concat([PNG_HEAD, Buffer.alloc(size)]).toString('base64')}`;
    await refused({ logo: png(256 * 1024) }, 'body.logo');
    await refused({ logo: png(3 * 1024 * 1024) }, 'body.logo');
    await refused(
      { logo: `data:image/svg+xml;base64,${Buffer.from('<svg onload="alert(1)"/>').toString('base64')}` },
      'body.logo',
    );
    await refused(
      { logo: `data:image/png;base64,${Buffer.from('<script>alert(1)</script>').toString('base64')}` },
      'body.logo',
    );
    await refused({ logo: 'data:text/html;base64,PHNjcmlwdD4=' }, 'body.logo');
    await refused({ logo: 'javascript:alert(1)' }, 'body.logo');
    await refused({ logo: `${png(10)}"><script>` }, 'body.logo');
    await refused({ homeMarkdown: 'x'.repeat(100_001) }, 'body.homeMarkdown');
    await refused({ primaryColor: '#fff;}body{background:url(//evil)}' }, 'body.primaryColor');
    for (const url of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      ' javascript:alert(1)',
      'data:text/html,<script>',
      'https://gw.example.com/ https://evil.example.com',
      "https://gw.example.com/'; script-src *",
      'https://u:p@gw.example.com',
      '//gw.example.com',
      'file:///etc/passwd',
    ]) {
      const res = await settings({ tryItBaseUrl: url });
      expect(res.status, url).toBe(400);
      expect(res.json().errors[0].path).toBe('body.tryItBaseUrl');
    }
    const page = await call('POST', `${ENV}/apis/visible/pages`, {
      slug: 'big',
      title: 'Big',
      markdown: 'x'.repeat(200_001),
    });
    expect(page.status).toBe(400);
    expect(page.json().errors[0].path).toBe('body.markdown');
    // The stored settings are untouched by every refusal.
    const stored = (await call('GET', `${ENV}/portal`)).json();
    expect(stored).toMatchObject({ enabled: true, logo: null, tryItBaseUrl: null });
  });
  it("keeps index.html's data island inert and free of hidden APIs, whatever the page URL asks", async () => {
    const breakout = '</script><script>alert(1)</script><!--<script>';
    const probe = {
      id: 'island-probe',
      name: 'island-probe',
      basePath: '/island-probe',
      upstream: { targets: [{ url: 'http://10.9.8.7:1234' }] },
      lifecycle: 'published',
      visibility: 'public',
      description: breakout,
    };
    expect((await call('POST', `${ENV}/apis`, probe)).status).toBe(201);
    const name = '</SCRIPT ><img src=x onerror=alert(1)>';
    expect((await call('PUT', `${ENV}/portal`, { enabled: true, name })).status).toBe(200);
    try {
      for (const query of [
        '',
        '?q=secret',
        '?q=sauce',
        '?q=private',
        '?q=draft',
        '?tag=shared-tag',
        '?category=Shared',
        '?q=%25',
        `?q=${'%25'.repeat(300)}`,
        '?q=a&q=b',
        '?q[$ne]=1',
        '?cursor=x',
        `?tag=${'t'.repeat(65)}`,
      ]) {
        const res = await anon(`/portal/default/${query}`);
        expect(res.status, query).toBe(200);
        // The island is the page's only script element, and it is closed once: nothing broke out.
        expect(res.text.match(/<script/gi), query).toHaveLength(1);
        expect(res.text.match(/<\/script/gi), query).toHaveLength(1);
        expect(res.text, query).not.toContain('<img');
        expect(res.text, query).not.toContain('secret sauce');
        expect(res.text, query).not.toContain('10.9.8.7');
        const island = JSON.parse(/id="boot-data">([^<]*)<\/script>/.exec(res.text)![1]!);
        expect(island.settings.name).toBe(name);
        const items = (island.catalog?.page.items ?? []) as { slug: string; description: string }[];
        expect(items.map((i) => i.slug).filter((s) => s !== 'visible' && s !== 'island-probe')).toEqual([]);
        if (query === '') expect(items.find((i) => i.slug === 'island-probe')?.description).toBe(breakout);
      }
    } finally {
      expect((await call('PUT', `${ENV}/portal`, { enabled: true })).status).toBe(200);
      expect((await call('DELETE', `${ENV}/apis/island-probe`)).status).toBeLessThan(300);
    }
  });
});
