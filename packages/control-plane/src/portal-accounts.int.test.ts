/**
 * Portal accounts end to end over a real SMTP server on loopback: sign-up in each mode, e-mail
 * verification, approval, invitations, password reset by mail, subscription notices, and the
 * control plane without mail (every sign-up waits for an administrator).
 */
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { createSmtpMailer, type Mailer, NO_MAILER } from './mail/mailer.js';
import type { SignupMode } from './services/portal-directory.js';
import { createHarness, describeOnBackends, type Harness } from './test-support/harness.js';
import { type SmtpSink, startSmtpSink, tokenIn } from './testing/smtp-sink.js';

// argon2 per sign-up and reset on a loaded shared machine: a test takes seconds, not milliseconds.
vi.setConfig({ testTimeout: 120_000 });
const PORTAL = '/api/v1/portal/default';
const ENV = '/api/v1/environments/default';
const PASSWORD = 'violet-otter-climbs-42';

describeOnBackends('portal accounts', (backend) => {
  let h: Harness;
  let sink: SmtpSink;
  let mode: SignupMode = 'open';
  let enabled = true;
  let working: Mailer;
  let down: Mailer;
  // Switched per test: the sink, a server that is down, or no mail at all.
  let current: Mailer = NO_MAILER;
  const mailer: Mailer = {
    get configured() {
      return current.configured;
    },
    send: (mail) => current.send(mail),
    close: () => {},
  };

  beforeAll(async () => {
    sink = await startSmtpSink();
    working = createSmtpMailer({ url: sink.url, from: 'Portal <portal@example.test>' });
    down = createSmtpMailer({ url: 'smtp://127.0.0.1:9', from: 'portal@example.test' });
    h = await createHarness(backend, { mailer, portalSettings: async () => ({ enabled, signup: mode }) });
  }, 300_000); // PGlite start-up on a loaded machine
  beforeEach(async () => {
    await h.reset();
    sink.clear();
    mode = 'open';
    enabled = true;
    current = working;
  });
  afterAll(async () => {
    await h?.close();
    working?.close();
    down?.close();
    await sink?.close();
  });

  const signup = (body: Record<string, unknown>) => h.call('POST', `${PORTAL}/signup`, { token: null, body });
  const tryLogin = (email: string, password: string) =>
    h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });

  it('open: verification mail, then an active consumer who can sign in; the link works once', async () => {
    const res = await signup({ email: 'Ada@Example.test', password: PASSWORD, name: 'Ada' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'verification_sent' });
    const mail = await sink.waitFor('ada@example.test');
    expect(mail.subject).toContain('confirm your e-mail address');
    expect(mail.headers.get('from')).toContain('portal@example.test');
    expect(mail.text).toContain('https://portal.example.test/portal/default/verify-email#token=ghm_');
    expect(mail.html).toContain('verify-email#token=ghm_');
    expect(mail.raw).not.toContain(PASSWORD);
    expect((await tryLogin('ada@example.test', PASSWORD)).statusCode).toBe(401);

    const token = tokenIn(mail);
    const verified = await h.call('POST', `${PORTAL}/verify-email`, { token: null, body: { token } });
    expect(verified.statusCode).toBe(200);
    expect(verified.json()).toEqual({ status: 'active' });
    const session = (await tryLogin('ada@example.test', PASSWORD)).json<{ token: string }>().token;
    expect((await h.call('GET', `${ENV}/applications`, { token: session })).statusCode).toBe(200);
    const member = (await h.call('GET', `${ENV}/members?role=consumer`)).json<{ items: { email: string }[] }>();
    expect(member.items.map((m) => m.email)).toEqual(['ada@example.test']);

    const again = await h.call('POST', `${PORTAL}/verify-email`, { token: null, body: { token } });
    expect(again.statusCode).toBe(400);
    expect(again.json<{ errors: { path: string }[] }>().errors[0]!.path).toBe('body.token');
  });

  it('approval: verified sign-ups wait for an administrator, who approves or rejects', async () => {
    mode = 'approval';
    for (const who of ['bob', 'eve']) {
      await signup({ email: `${who}@example.test`, password: PASSWORD, name: who });
      const token = tokenIn(await sink.waitFor(`${who}@example.test`));
      const res = await h.call('POST', `${PORTAL}/verify-email`, { token: null, body: { token } });
      expect(res.json()).toEqual({ status: 'pending_approval' });
    }
    expect((await tryLogin('bob@example.test', PASSWORD)).statusCode).toBe(401);
    const pending = (await h.call('GET', `${ENV}/portal/signups?status=pending`)).json<{
      items: { id: string; email: string; status: string }[];
    }>();
    expect(pending.items.map((s) => s.email).sort()).toEqual(['bob@example.test', 'eve@example.test']);
    const bob = pending.items.find((s) => s.email === 'bob@example.test')!;
    const eve = pending.items.find((s) => s.email === 'eve@example.test')!;

    const approved = await h.call('POST', `${ENV}/portal/signups/${bob.id}/approve`);
    expect(approved.statusCode).toBe(200);
    expect(approved.json<{ status: string }>().status).toBe('active');
    await sink.waitFor('bob@example.test', (m) => m.subject.includes('your account is ready'));
    expect((await tryLogin('bob@example.test', PASSWORD)).statusCode).toBe(200);
    expect((await h.call('POST', `${ENV}/portal/signups/${bob.id}/approve`)).statusCode).toBe(409);

    const rejected = await h.call('POST', `${ENV}/portal/signups/${eve.id}/reject`, {
      body: { reason: 'Unknown company' },
    });
    expect(rejected.json<{ status: string }>().status).toBe('rejected');
    const notice = await sink.waitFor('eve@example.test', (m) => m.subject.includes('declined'));
    expect(notice.text).toContain('Unknown company');
    expect((await tryLogin('eve@example.test', PASSWORD)).statusCode).toBe(401);
    // The rejected account is gone: the address may sign up again.
    sink.clear();
    await signup({ email: 'eve@example.test', password: PASSWORD, name: 'Eve' });
    expect((await sink.waitFor('eve@example.test')).subject).toContain('confirm your e-mail address');
  });

  it('invitation: only with a mailed invitation for that address, once', async () => {
    mode = 'invitation';
    const without = await signup({ email: 'carol@example.test', password: PASSWORD, name: 'Carol' });
    expect(without.statusCode).toBe(400);
    expect(without.json<{ errors: { path: string }[] }>().errors[0]!.path).toBe('body.invitation');

    const invited = await h.call('POST', `${ENV}/portal/invitations`, { body: { email: 'carol@example.test' } });
    expect(invited.statusCode).toBe(201);
    expect(invited.json()).toMatchObject({ email: 'carol@example.test', mailed: true, signupUrl: null });
    const mail = await sink.waitFor('carol@example.test');
    expect(mail.text).toContain('/portal/default/signup#token=');
    const invitation = tokenIn(mail);

    const other = await signup({ email: 'mallory@example.test', password: PASSWORD, name: 'M', invitation });
    expect(other.statusCode).toBe(400);
    const ok = await signup({ email: 'carol@example.test', password: PASSWORD, name: 'Carol', invitation });
    expect(ok.json()).toEqual({ status: 'active' });
    expect((await tryLogin('carol@example.test', PASSWORD)).statusCode).toBe(200);
    const replay = await signup({ email: 'carol2@example.test', password: PASSWORD, name: 'C', invitation });
    expect(replay.statusCode).toBe(400);
    expect(
      (await h.call('POST', `${ENV}/portal/invitations`, { body: { email: 'carol@example.test' } })).statusCode,
    ).toBe(409);
  });

  it('invitations: listed while open, revoked by id; an existing account joins another environment', async () => {
    mode = 'invitation';
    await h.call('POST', '/api/v1/environments', { body: { id: 'staging' } });
    const STAGING = '/api/v1/environments/staging';
    // Dan is a consumer of default; staging invites him and he joins with the same account.
    const dan = await h.createUser('dan@example.test', 'consumer');
    const invited = await h.call('POST', `${STAGING}/portal/invitations`, { body: { email: 'Dan@example.test' } });
    expect(invited.statusCode).toBe(201);
    const token = tokenIn(await sink.waitFor('dan@example.test'));
    await h.call('POST', `${STAGING}/portal/invitations`, { body: { email: 'erin@example.test' } });
    const open = (await h.call('GET', `${STAGING}/portal/invitations`)).json<{
      items: { id: string; email: string }[];
    }>();
    expect(open.items.map((i) => i.email).sort()).toEqual(['dan@example.test', 'erin@example.test']);
    expect(JSON.stringify(open)).not.toContain('token');
    expect((await h.call('GET', `${ENV}/portal/invitations`)).json()).toEqual({ items: [], nextCursor: null });

    // Signing up again with the invitation is refused (the address has an account): accept instead.
    const again = await signup({ email: 'dan@example.test', password: PASSWORD, name: 'Dan', invitation: token });
    expect(again.statusCode).toBe(400); // staging's token is not valid on default's sign-up
    const accepted = await h.call('POST', '/api/v1/portal/staging/invitations/accept', {
      token: dan.token,
      body: { token },
    });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toEqual({ status: 'active', environment: 'staging' });
    expect((await h.call('GET', `${STAGING}/applications`, { token: dan.token })).statusCode).toBe(200);
    const members = (await h.call('GET', `${STAGING}/members?role=consumer`)).json<{ items: { email: string }[] }>();
    expect(members.items.map((m) => m.email)).toEqual(['dan@example.test']);
    // Used: no longer open, and a member cannot be invited again.
    const left = (await h.call('GET', `${STAGING}/portal/invitations`)).json<{
      items: { id: string; email: string }[];
    }>();
    expect(left.items.map((i) => i.email)).toEqual(['erin@example.test']);
    expect(
      (await h.call('POST', `${STAGING}/portal/invitations`, { body: { email: 'dan@example.test' } })).statusCode,
    ).toBe(409);

    const revoked = await h.call('DELETE', `${STAGING}/portal/invitations/${left.items[0]!.id}`);
    expect(revoked.statusCode).toBe(204);
    expect((await h.call('GET', `${STAGING}/portal/invitations`)).json()).toEqual({ items: [], nextCursor: null });
    expect((await h.call('DELETE', `${STAGING}/portal/invitations/${left.items[0]!.id}`)).statusCode).toBe(404);
    const erin = tokenIn(await sink.waitFor('erin@example.test'));
    const late = await h.call('POST', '/api/v1/portal/staging/signup', {
      token: null,
      body: { email: 'erin@example.test', password: PASSWORD, name: 'Erin', invitation: erin },
    });
    expect(late.statusCode).toBe(400);
  });

  it('a known address gets the same answer and an "already registered" mail, nothing else', async () => {
    const res = await signup({ email: 'admin@example.test', password: PASSWORD, name: 'Someone' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'verification_sent' });
    const mail = await sink.waitFor('admin@example.test');
    expect(mail.subject).toContain('you already have an account');
    expect(mail.text).not.toContain('token=');
    // The admin's password is unchanged.
    expect((await tryLogin('admin@example.test', 'correct-horse-battery-staple')).statusCode).toBe(200);
  });

  it('password reset by mail: weak password keeps the link, sessions end, the link works once', async () => {
    const consumer = await h.createUser('dora@example.test', 'consumer');
    const res = await h.call('POST', `${PORTAL}/password-reset`, { token: null, body: { email: 'DORA@example.test' } });
    expect(res.statusCode).toBe(202);
    const token = tokenIn(await sink.waitFor('dora@example.test'));

    const weak = await h.call('POST', `${PORTAL}/password-reset/confirm`, {
      token: null,
      body: { token, password: 'password1234' },
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.json<{ errors: { path: string }[] }>().errors[0]!.path).toBe('body.password');
    const done = await h.call('POST', `${PORTAL}/password-reset/confirm`, {
      token: null,
      body: { token, password: PASSWORD },
    });
    expect(done.statusCode).toBe(204);
    expect((await h.call('GET', '/api/v1/users/me', { token: consumer.token })).statusCode).toBe(401);
    expect((await tryLogin('dora@example.test', PASSWORD)).statusCode).toBe(200);
    const replay = await h.call('POST', `${PORTAL}/password-reset/confirm`, {
      token: null,
      body: { token, password: 'another-fine-passphrase' },
    });
    expect(replay.statusCode).toBe(400);
  });

  it('reset requests for unknown addresses and for staff answer 202 and mail nothing', async () => {
    await h.createUser('pat@example.test', 'publisher');
    for (const email of ['nobody@example.test', 'admin@example.test', 'pat@example.test']) {
      expect((await h.call('POST', `${PORTAL}/password-reset`, { token: null, body: { email } })).statusCode).toBe(202);
    }
    // A consumer's mail arrives after them: had the others been sent, they would be here first.
    await h.createUser('zed@example.test', 'consumer');
    await h.call('POST', `${PORTAL}/password-reset`, { token: null, body: { email: 'zed@example.test' } });
    await sink.waitFor('zed@example.test');
    expect(sink.mails.flatMap((m) => m.to)).toEqual(['zed@example.test']);
  });

  it('mails the application owner when a subscription is approved, rejected or closed', async () => {
    await h.call('POST', `${ENV}/apis`, {
      body: {
        id: 'orders',
        name: 'Orders',
        basePath: '/orders',
        upstream: { targets: [{ url: 'http://127.0.0.1:9' }] },
        lifecycle: 'published',
        visibility: 'public',
      },
    });
    const plan = await h.call('POST', `${ENV}/apis/orders/plans`, {
      body: { id: 'gold', name: 'Gold', security: { type: 'api-key' }, approval: 'manual' },
    });
    expect(plan.statusCode).toBe(201);
    const owner = await h.createUser('owner@example.test', 'consumer');
    const app = (await h.call('POST', `${ENV}/applications`, { token: owner.token, body: { name: 'Shop <b>' } })).json<{
      id: string;
    }>();
    const subscribe = () =>
      h.call('POST', `${ENV}/applications/${app.id}/subscriptions`, {
        token: owner.token,
        body: { apiId: 'orders', planId: 'gold' },
      });
    const first = (await subscribe()).json<{ id: string }>();
    await h.call('POST', `${ENV}/subscriptions/${first.id}/approve`);
    const approved = await sink.waitFor('owner@example.test', (m) => m.subject.includes('approved'));
    expect(approved.text).toContain('"Shop <b>" to Orders (plan Gold) was approved');
    expect(approved.html).toContain('&quot;Shop &lt;b&gt;&quot;');
    expect(approved.html).not.toContain('<b>');
    await h.call('POST', `${ENV}/subscriptions/${first.id}/close`, { body: { reason: 'Plan retired' } });
    expect((await sink.waitFor('owner@example.test', (m) => m.subject.includes('closed'))).text).toContain(
      'Plan retired',
    );
    const second = (await subscribe()).json<{ id: string }>();
    await h.call('POST', `${ENV}/subscriptions/${second.id}/reject`);
    await sink.waitFor('owner@example.test', (m) => m.subject.includes('rejected'));
    // Closing one's own subscription mails nobody.
    const third = (await subscribe()).json<{ id: string }>();
    await h.call('POST', `${ENV}/subscriptions/${third.id}/close`, { token: owner.token });
    await h.call('POST', `${PORTAL}/password-reset`, { token: null, body: { email: 'owner@example.test' } });
    await sink.waitFor('owner@example.test', (m) => m.subject.includes('reset'));
    expect(sink.to('owner@example.test').map((m) => m.subject.split(': ')[1])).toEqual([
      'subscription approved',
      'subscription closed',
      'subscription rejected',
      'reset your password',
    ]);
  });

  it('a mail server that is down fails no request', async () => {
    current = down;
    const res = await signup({ email: 'frank@example.test', password: PASSWORD, name: 'Frank' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'verification_sent' });
  });

  it('without mail: no verification, every sign-up waits for approval, invitations hand back the link', async () => {
    current = NO_MAILER;
    const res = await signup({ email: 'gus@example.test', password: PASSWORD, name: 'Gus' });
    expect(res.json()).toEqual({ status: 'pending_approval' });
    // A known address: the same answer, and nothing is created.
    const known = await signup({ email: 'admin@example.test', password: PASSWORD, name: 'X' });
    expect(known.json()).toEqual({ status: 'pending_approval' });
    const pending = (await h.call('GET', `${ENV}/portal/signups?status=pending`)).json<{
      items: { id: string; email: string }[];
    }>();
    expect(pending.items.map((s) => s.email)).toEqual(['gus@example.test']);
    await h.call('POST', `${ENV}/portal/signups/${pending.items[0]!.id}/approve`);
    expect(await h.login('gus@example.test', PASSWORD)).toMatch(/^ghs_/);

    const invited = await h.call('POST', `${ENV}/portal/invitations`, { body: { email: 'hal@example.test' } });
    expect(invited.json()).toMatchObject({ mailed: false });
    expect(invited.json<{ signupUrl: string }>().signupUrl).toMatch(
      /^https:\/\/portal\.example\.test\/portal\/default\/signup#token=ghm_/,
    );
    const reset = await h.call('POST', `${PORTAL}/password-reset`, {
      token: null,
      body: { email: 'gus@example.test' },
    });
    expect(reset.statusCode).toBe(202);
    expect(sink.mails).toEqual([]);
  });

  it('a portal that is not enabled is not found', async () => {
    enabled = false;
    expect((await signup({ email: 'ivy@example.test', password: PASSWORD, name: 'Ivy' })).statusCode).toBe(404);
    const reset = await h.call('POST', '/api/v1/portal/nope/password-reset', {
      token: null,
      body: { email: 'a@b.test' },
    });
    expect(reset.statusCode).toBe(404);
  });
});
