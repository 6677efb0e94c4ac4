/**
 * The console's cookie session, attacked as a hostile page would: the browser attaches the session
 * cookie to any request, so every state-changing call made with it must carry the CSRF token bound
 * to that session and come from our own origin; logout must kill the session server-side; the
 * cookie must be out of JavaScript's reach. Bearer-token clients must be unaffected.
 */
import type { ControlPlane } from '@gatehouse/control-plane';
import { loadSecretBox, silentLogger } from '@gatehouse/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRaw, rawRequest } from './raw.js';
import { database, type HostileControlPlane, startHostileControlPlane } from './support/control-plane.js';

const ADMIN = { email: 'console-admin@example.test', password: 'console-session-password-1' };

interface Answer {
  status: number;
  headers: Record<string, string[]>;
  body: string;
}

describe.skipIf(Boolean(database.skipReason))('console session cookie', () => {
  let h: HostileControlPlane;
  let cp: ControlPlane;

  beforeAll(async () => {
    h = await startHostileControlPlane(ADMIN);
    cp = h.cp;
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  const origin = () => `http://127.0.0.1:${cp.port}`;

  /** Exact bytes on the wire: no client library adds or normalises a header. */
  async function send(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${cp.port}`, 'Connection: close'];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    if (body !== undefined)
      lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(payload)}`);
    const answer = await rawRequest(cp.port, `${lines.join('\r\n')}\r\n\r\n${payload}`, { timeoutMs: 5_000 });
    const parsed = parseRaw(answer.text);
    return { status: parsed.status, headers: parsed.headers, body: parsed.body };
  }

  async function signIn(): Promise<{ cookie: string; csrf: string; setCookie: string }> {
    const answer = await send('POST', '/api/v1/auth/session', { Origin: origin() }, ADMIN);
    expect(answer.status).toBe(200);
    const setCookie = answer.headers['set-cookie']![0]!;
    const cookie = setCookie.split(';')[0]!;
    return { cookie, csrf: (JSON.parse(answer.body) as { csrfToken: string }).csrfToken, setCookie };
  }

  const newApplication = { name: 'csrf-probe' };
  const appsPath = '/api/v1/environments/default/applications';

  it('sets an HttpOnly, SameSite=Strict cookie scoped to the API, without the token in the body', async () => {
    const answer = await send('POST', '/api/v1/auth/session', { Origin: origin() }, ADMIN);
    const setCookie = answer.headers['set-cookie']![0]!;
    expect(setCookie).toMatch(/^gatehouse_session=ghs_/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).toMatch(/; Path=\/api\//);
    // Plain HTTP here: Secure would make the browser drop it; over TLS it is set (see below).
    expect(setCookie).not.toMatch(/Secure/);
    expect(answer.body).not.toContain(setCookie.split(';')[0]!.split('=')[1]!);
    expect(answer.headers['cache-control']?.[0]).toBe('no-store');
  });

  it('refuses a state-changing call with the cookie but no CSRF header (403 problem+json), and changes nothing', async () => {
    const { cookie } = await signIn();
    const answer = await send('POST', appsPath, { Cookie: cookie, Origin: origin() }, newApplication);
    expect(answer.status).toBe(403);
    expect(answer.headers['content-type']?.[0]).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 403, code: 'forbidden' });
    const list = await send('GET', appsPath, { Cookie: cookie });
    expect(list.status).toBe(200);
    expect((JSON.parse(list.body) as { items: unknown[] }).items).toHaveLength(0);
  });

  it('refuses a wrong CSRF token and the token of another session', async () => {
    const first = await signIn();
    const second = await signIn();
    for (const token of ['x', first.csrf.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), second.csrf]) {
      const answer = await send('POST', appsPath, { Cookie: first.cookie, 'X-CSRF-Token': token }, newApplication);
      expect(answer.status).toBe(403);
    }
    for (const method of ['PATCH', 'DELETE']) {
      const answer = await send(
        method,
        `${appsPath}/00000000-0000-4000-8000-000000000000`,
        { Cookie: first.cookie },
        {},
      );
      expect(answer.status).toBe(403);
    }
  });

  it('refuses a cross-site request even with the right CSRF token', async () => {
    const { cookie, csrf } = await signIn();
    const evil = await send(
      'POST',
      appsPath,
      { Cookie: cookie, 'X-CSRF-Token': csrf, Origin: 'https://evil.example' },
      newApplication,
    );
    expect(evil.status).toBe(403);
    const crossSite = await send(
      'POST',
      appsPath,
      { Cookie: cookie, 'X-CSRF-Token': csrf, 'Sec-Fetch-Site': 'cross-site' },
      newApplication,
    );
    expect(crossSite.status).toBe(403);
    const login = await send('POST', '/api/v1/auth/session', { Origin: 'https://evil.example' }, ADMIN);
    expect(login.status).toBe(403);
    expect(login.headers['set-cookie']).toBeUndefined();
  });

  it('accepts the same call from our page (cookie + CSRF header + same origin)', async () => {
    const { cookie, csrf } = await signIn();
    const answer = await send(
      'POST',
      appsPath,
      { Cookie: cookie, 'X-CSRF-Token': csrf, Origin: origin(), 'Sec-Fetch-Site': 'same-origin' },
      { name: 'from-console' },
    );
    expect(answer.status).toBe(201);
    const session = await send('GET', '/api/v1/auth/session', { Cookie: cookie });
    expect(JSON.parse(session.body)).toMatchObject({ csrfToken: csrf, user: { email: ADMIN.email } });
  });

  it('logout ends the session server-side: the old cookie no longer works anywhere', async () => {
    const { cookie, csrf } = await signIn();
    const without = await send('POST', '/api/v1/auth/logout', { Cookie: cookie });
    expect(without.status).toBe(403); // logout is a state change too
    const out = await send('POST', '/api/v1/auth/logout', { Cookie: cookie, 'X-CSRF-Token': csrf, Origin: origin() });
    expect(out.status).toBe(204);
    expect(out.headers['set-cookie']![0]).toMatch(/^gatehouse_session=; Max-Age=0/);
    expect((await send('GET', '/api/v1/auth/session', { Cookie: cookie })).status).toBe(401);
    expect((await send('GET', appsPath, { Cookie: cookie })).status).toBe(401);
    // The same secret as a bearer token is dead too.
    const token = cookie.split('=')[1]!;
    expect((await send('GET', appsPath, { Authorization: `Bearer ${token}` })).status).toBe(401);
  });

  it('leaves bearer-token clients unchanged (no CSRF header needed, no cookie involved)', async () => {
    const login = await send('POST', '/api/v1/auth/login', {}, ADMIN);
    const { token } = JSON.parse(login.body) as { token: string };
    expect(login.headers['set-cookie']).toBeUndefined();
    const answer = await send('POST', appsPath, { Authorization: `Bearer ${token}` }, { name: 'from-cli' });
    expect(answer.status).toBe(201);
    const session = await send('GET', '/api/v1/auth/session', { Authorization: `Bearer ${token}` });
    expect(JSON.parse(session.body)).toMatchObject({ csrfToken: null });
  });

  it('marks the cookie Secure when the console is served over TLS', async () => {
    const { buildApp } = await import('@gatehouse/control-plane');
    const app = await buildApp({
      db: cp.db,
      orgId: await orgIdOf(h.schema),
      trustProxy: true,
      logger: silentLogger(),
      // The control plane's key: secrets at rest on this database are sealed with it.
      secretBox: (await loadSecretBox({ key: h.secretKey }))!,
    });
    try {
      const answer = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/session',
        headers: {
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'console.example',
          origin: 'https://console.example',
        },
        payload: ADMIN,
      });
      expect(answer.statusCode).toBe(200);
      expect(String(answer.headers['set-cookie'])).toMatch(/; Secure/);
    } finally {
      await app.close();
    }
  });
});

async function orgIdOf(schema: string): Promise<string> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const result = await client.query<{ id: string }>(`SELECT id FROM ${schema}.organizations LIMIT 1`);
    return result.rows[0]!.id;
  } finally {
    await client.end();
  }
}
