/**
 * Attack class: the developer portal's public account endpoints (sign-up, e-mail verification,
 * password reset). An attacker without an account tries to learn which addresses have accounts,
 * to replay, forge or reuse mailed tokens across environments and purposes, to mail-bomb a victim
 * or hammer the endpoints (429 + Retry-After per address and per e-mail), to inject mail headers
 * through the name or address, and to send oversized fields.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { createSmtpMailer, type Mailer } from '../../control-plane/src/mail/mailer.js';
import type { SignupMode } from '../../control-plane/src/services/portal-directory.js';
import { createHarness, describeOnBackends, type Harness } from '../../control-plane/src/test-support/harness.js';
import { type SmtpSink, startSmtpSink, tokenIn } from '../../control-plane/src/testing/smtp-sink.js';
import { rawRequest } from './raw.js';

// argon2 per sign-up and reset on a loaded shared machine: a test takes seconds, not milliseconds.
vi.setConfig({ testTimeout: 120_000 });
const PORTAL = '/api/v1/portal/default';
const PASSWORD = 'amber-lynx-sails-77';
const LIMITS = { perAddress: 4, perEmail: 2 };

describeOnBackends('portal sign-up attacks', (backend) => {
  let h: Harness;
  let sink: SmtpSink;
  let mailer: Mailer;
  let mode: SignupMode = 'open';
  let address = 0;
  // A fresh client address per request unless a test pins one, so only throttle tests hit limits.
  const nextAddress = () => `198.51.100.${(address++ % 250) + 1}`;

  beforeAll(async () => {
    sink = await startSmtpSink();
    mailer = createSmtpMailer({ url: sink.url, from: 'portal@example.test' });
    h = await createHarness(backend, {
      mailer,
      portalLimits: LIMITS,
      portalSettings: async () => ({ enabled: true, signup: mode }),
    });
  }, 300_000); // PGlite start-up on a loaded machine
  beforeEach(async () => {
    await h.reset();
    sink.clear();
    mode = 'open';
  });
  afterAll(async () => {
    await h?.close();
    mailer?.close();
    await sink?.close();
  });

  const post = (url: string, payload: unknown, remoteAddress = nextAddress()) =>
    h.app.inject({ method: 'POST', url, payload: payload as object, remoteAddress });
  const signup = (body: Record<string, unknown>, remoteAddress?: string) =>
    post(`${PORTAL}/signup`, body, remoteAddress);

  it('sign-up and reset answer the same for known and unknown addresses', async () => {
    await h.createUser('known@example.test', 'consumer');
    const known = await signup({ email: 'known@example.test', password: PASSWORD, name: 'K' });
    const fresh = await signup({ email: 'fresh@example.test', password: PASSWORD, name: 'F' });
    expect([known.statusCode, known.body]).toEqual([fresh.statusCode, fresh.body]);
    const keys = (headers: Record<string, unknown>) =>
      Object.keys(headers)
        .filter((k) => !['date', 'x-request-id'].includes(k))
        .sort();
    expect(keys(known.headers)).toEqual(keys(fresh.headers));
    const resetKnown = await post(`${PORTAL}/password-reset`, { email: 'known@example.test' });
    const resetUnknown = await post(`${PORTAL}/password-reset`, { email: 'ghost@example.test' });
    expect([resetKnown.statusCode, resetKnown.body]).toEqual([202, '']);
    expect([resetUnknown.statusCode, resetUnknown.body]).toEqual([202, '']);
    // The known address's owner is told by mail, not the caller.
    await sink.waitFor('known@example.test', (m) => m.subject.includes('already have an account'));
  });

  it('tokens: forged, replayed, expired, of another purpose or environment are all refused alike', async () => {
    await signup({ email: 'victim@example.test', password: PASSWORD, name: 'V' });
    const token = tokenIn(await sink.waitFor('victim@example.test'));
    const verify = (t: string, env = 'default') => post(`/api/v1/portal/${env}/verify-email`, { token: t });
    const refused = async (res: Awaited<ReturnType<typeof verify>>) => {
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ path: 'body.token' }] });
    };
    await refused(await verify(`ghm_${randomBytes(32).toString('base64url')}`));
    await refused(await verify(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`));
    // Same token as a reset token: purposes do not mix.
    await refused(await post(`${PORTAL}/password-reset/confirm`, { token, password: 'brand-new-passphrase-9' }));
    // Another environment's portal does not take it.
    await h.call('POST', '/api/v1/environments', { body: { id: 'staging', name: 'Staging' } });
    const other = await verify(token, 'staging');
    expect([400, 404]).toContain(other.statusCode);
    // Expired.
    await h.db.execute(sql`UPDATE portal_tokens SET expires_at = now() - interval '1 second'`);
    await refused(await verify(token));
    await h.db.execute(sql`UPDATE portal_tokens SET expires_at = now() + interval '1 hour'`);
    expect((await verify(token)).statusCode).toBe(200);
    // Replayed.
    await refused(await verify(token));
    // Only the hash is stored.
    const stored = await h.db.execute(sql`SELECT token_hash FROM portal_tokens`);
    const hashes = (stored as unknown as { rows: { token_hash: string }[] }).rows.map((r) => r.token_hash);
    expect(hashes.length).toBeGreaterThan(0);
    expect(hashes.some((x) => x.includes(token) || token.includes(x))).toBe(false);
  });

  it('throttles per address and per e-mail with 429 + Retry-After', async () => {
    const attacker = '203.0.113.9';
    for (let i = 0; i < LIMITS.perAddress; i++) {
      const res = await signup({ email: `spray${i}@example.test`, password: PASSWORD, name: 'S' }, attacker);
      expect(res.statusCode).toBe(202);
    }
    const locked = await signup({ email: 'spray-next@example.test', password: PASSWORD, name: 'S' }, attacker);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['content-type']).toContain('application/problem+json');
    expect(locked.json()).toMatchObject({ code: 'too_many_requests' });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Mail-bombing one victim from many addresses.
    for (let i = 0; i < LIMITS.perEmail; i++) {
      expect((await post(`${PORTAL}/password-reset`, { email: 'bombed@example.test' })).statusCode).toBe(202);
    }
    const bombed = await post(`${PORTAL}/password-reset`, { email: 'bombed@example.test' });
    expect(bombed.statusCode).toBe(429);
    expect(Number(bombed.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Someone else is not affected.
    expect((await post(`${PORTAL}/password-reset`, { email: 'other@example.test' })).statusCode).toBe(202);
  });

  it('no mail headers through the name, the address or a rejection reason', async () => {
    for (const name of ['Eve\r\nBcc: victim@example.test', 'Eve\nSubject: hi', 'Eve\u0000']) {
      const res = await signup({ email: 'eve@example.test', password: PASSWORD, name });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ errors: [{ path: 'body.name' }] });
    }
    for (const email of [
      'eve@example.test\r\nBcc: victim@example.test',
      'eve@example.test\nCc: a@b.test',
      'a@b.test, c@d.test',
    ]) {
      const res = await signup({ email, password: PASSWORD, name: 'Eve' });
      expect(res.statusCode).toBe(400);
      expect((await post(`${PORTAL}/password-reset`, { email })).statusCode).toBe(400);
    }
    mode = 'approval';
    await signup({ email: 'eve@example.test', password: PASSWORD, name: 'Eve <script>' });
    const token = tokenIn(await sink.waitFor('eve@example.test'));
    await post(`${PORTAL}/verify-email`, { token });
    const [pending] = (await h.call('GET', '/api/v1/environments/default/portal/signups?status=pending')).json<{
      items: { id: string }[];
    }>().items;
    const injected = await h.call('POST', `/api/v1/environments/default/portal/signups/${pending!.id}/reject`, {
      body: { reason: 'no\r\nBcc: victim@example.test' },
    });
    expect(injected.statusCode).toBe(400);
    await h.call('POST', `/api/v1/environments/default/portal/signups/${pending!.id}/reject`, {
      body: { reason: 'Bcc: victim@example.test\n<img src=x onerror=alert(1)>' },
    });
    const notice = await sink.waitFor('eve@example.test', (m) => m.subject.includes('declined'));
    expect(notice.to).toEqual(['eve@example.test']);
    expect(notice.headers.has('bcc')).toBe(false);
    expect(notice.html).toContain('&lt;img');
    expect(notice.html).not.toContain('<img');
    expect(sink.mails.every((m) => m.to.length === 1 && !m.to.includes('victim@example.test'))).toBe(true);
  });

  it('weak passwords and oversized fields are 400 with the field path, never 500', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ email: 'w1@example.test', password: 'password1234', name: 'W' }, 'body.password'],
      [{ email: 'w2@example.test', password: 'w2@example.test', name: 'W' }, 'body.password'],
      [{ email: 'wilhelmina@example.test', password: 'Wilhelmina!!!!', name: 'W' }, 'body.password'],
      [{ email: 'w3@example.test', password: 'abcabcabcabcabc', name: 'W' }, 'body.password'],
      [{ email: 'w4@example.test', password: 'short', name: 'W' }, 'body.password'],
      [{ email: 'w@example.test', password: 'x'.repeat(100_000), name: 'W' }, 'body.password'],
      [{ email: 'w@example.test', password: PASSWORD, name: 'W'.repeat(100_000) }, 'body.name'],
      [{ email: `${'w'.repeat(100_000)}@example.test`, password: PASSWORD, name: 'W' }, 'body.email'],
      [{ email: 'w@example.test', password: PASSWORD, name: 'W', invitation: 'i'.repeat(100_000) }, 'body.invitation'],
    ];
    for (const [body, path] of cases) {
      const res = await signup(body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json<{ errors: { path: string }[] }>().errors.map((e) => e.path)).toContain(path);
    }
    const token = await post(`${PORTAL}/verify-email`, { token: 't'.repeat(1_000_000) });
    expect(token.statusCode).toBe(400);
    expect(sink.mails).toEqual([]);
  });

  it('a raw request with a huge body gets a problem answer, not a crash', async () => {
    // Closed with the harness after this last test.
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    {
      const port = (h.app.server.address() as AddressInfo).port;
      const body = JSON.stringify({ email: 'r@example.test', password: PASSWORD, name: 'R'.repeat(2_000_000) });
      const answer = await rawRequest(
        port,
        `POST ${PORTAL}/signup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        { timeoutMs: 20_000 },
      );
      expect(answer.status).toBe(400);
      expect(answer.text).toContain('application/problem+json');
    }
  });
});
