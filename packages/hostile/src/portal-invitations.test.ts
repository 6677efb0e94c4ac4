/**
 * Attack class: portal invitations (issue #15). An invited person, a consumer or an outsider tries
 * to use a revoked invitation, to carry one environment's invitation into another, to accept someone
 * else's invitation with their own account (or burn it), to replay one, and to list or revoke the
 * environment's invitations without being its administrator.
 */
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { createSmtpMailer, type Mailer } from '../../control-plane/src/mail/mailer.js';
import { createHarness, describeOnBackends, type Harness } from '../../control-plane/src/test-support/harness.js';
import { type SmtpSink, startSmtpSink, tokenIn } from '../../control-plane/src/testing/smtp-sink.js';

// argon2 per sign-up on a loaded shared machine: a test takes seconds, not milliseconds.
vi.setConfig({ testTimeout: 120_000 });
const PASSWORD = 'quiet-heron-waits-31';
const A = '/api/v1/environments/alpha';
const B = '/api/v1/environments/beta';

describeOnBackends('portal invitation attacks', (backend) => {
  let h: Harness;
  let sink: SmtpSink;
  let mailer: Mailer;

  beforeAll(async () => {
    sink = await startSmtpSink();
    mailer = createSmtpMailer({ url: sink.url, from: 'portal@example.test' });
    h = await createHarness(backend, {
      mailer,
      portalSettings: async () => ({ enabled: true, signup: 'invitation' }),
    });
  }, 300_000); // PGlite start-up on a loaded machine
  beforeEach(async () => {
    await h.reset();
    sink.clear();
    for (const id of ['alpha', 'beta']) await h.call('POST', '/api/v1/environments', { body: { id } });
  });
  afterAll(async () => {
    await h?.close();
    mailer?.close();
    await sink?.close();
  });

  const invite = async (env: string, email: string) => {
    expect((await h.call('POST', `${env}/portal/invitations`, { body: { email } })).statusCode).toBe(201);
    return tokenIn(await sink.waitFor(email));
  };
  const accept = (portal: string, token: string | null, invitation: string) =>
    h.call('POST', `/api/v1/portal/${portal}/invitations/accept`, { token, body: { token: invitation } });
  const signup = (portal: string, email: string, invitation: string) =>
    h.call('POST', `/api/v1/portal/${portal}/signup`, {
      token: null,
      body: { email, password: PASSWORD, name: 'Someone', invitation },
    });
  const memberOf = async (env: string, token: string) =>
    (await h.call('GET', `${env}/applications`, { token })).statusCode === 200;

  it('a revoked invitation is refused, for sign-up and for accepting', async () => {
    const fresh = await invite(A, 'new@example.test');
    const user = await h.createUser('known@example.test', 'consumer', 'beta');
    const known = await invite(A, 'known@example.test');
    const open = (await h.call('GET', `${A}/portal/invitations`)).json<{ items: { id: string }[] }>();
    for (const { id } of open.items)
      expect((await h.call('DELETE', `${A}/portal/invitations/${id}`)).statusCode).toBe(204);
    expect((await signup('alpha', 'new@example.test', fresh)).statusCode).toBe(400);
    expect((await accept('alpha', user.token, known)).statusCode).toBe(400);
    expect(await memberOf(A, user.token)).toBe(false);
  });

  it("one environment's invitation does not open another", async () => {
    const user = await h.createUser('dora@example.test', 'consumer', 'beta');
    const forA = await invite(A, 'dora@example.test');
    const forNew = await invite(A, 'nell@example.test');
    // Accepting on beta (where she is already a member) or on a third portal: refused, token kept.
    expect((await accept('beta', user.token, forA)).statusCode).toBe(400);
    expect((await accept('default', user.token, forA)).statusCode).toBe(400);
    expect((await signup('beta', 'nell@example.test', forNew)).statusCode).toBe(400);
    // Still usable where it belongs.
    expect((await accept('alpha', user.token, forA)).statusCode).toBe(200);
    expect(await memberOf(A, user.token)).toBe(true);
    expect(await memberOf('/api/v1/environments/default', user.token)).toBe(false);
  });

  it("someone else's invitation: refused, not burnt; no replay; no anonymous accept", async () => {
    const victim = await h.createUser('vic@example.test', 'consumer', 'beta');
    const mallory = await h.createUser('mallory@example.test', 'consumer', 'beta');
    const token = await invite(A, 'vic@example.test');
    expect((await accept('alpha', null, token)).statusCode).toBe(401);
    const stolen = await accept('alpha', mallory.token, token);
    expect(stolen.statusCode).toBe(400);
    expect(stolen.json<{ errors: { path: string }[] }>().errors[0]!.path).toBe('body.token');
    expect(await memberOf(A, mallory.token)).toBe(false);
    expect((await accept('alpha', victim.token, token)).statusCode).toBe(200);
    expect((await accept('alpha', victim.token, token)).statusCode).toBe(400);
    expect((await accept('alpha', victim.token, 'ghm_forged')).statusCode).toBe(400);
    expect((await accept('alpha', victim.token, 'x'.repeat(129))).statusCode).toBe(400);
  });

  it('consumers and other environments cannot list or revoke invitations', async () => {
    await invite(A, 'pat@example.test');
    const { items } = (await h.call('GET', `${A}/portal/invitations`)).json<{ items: { id: string }[] }>();
    const id = items[0]!.id;
    const consumer = await h.createUser('consumer@example.test', 'consumer', 'alpha');
    const publisher = await h.createUser('publisher@example.test', 'publisher', 'alpha');
    const adminOfB = await h.createUser('boss@example.test', 'admin', 'beta');
    for (const token of [consumer.token, publisher.token]) {
      expect((await h.call('GET', `${A}/portal/invitations`, { token })).statusCode).toBe(403);
      expect((await h.call('DELETE', `${A}/portal/invitations/${id}`, { token })).statusCode).toBe(403);
    }
    // Another environment's administrator: alpha does not exist for them, and beta has no such invitation.
    expect((await h.call('GET', `${A}/portal/invitations`, { token: adminOfB.token })).statusCode).toBe(404);
    expect((await h.call('DELETE', `${B}/portal/invitations/${id}`, { token: adminOfB.token })).statusCode).toBe(404);
    expect((await h.call('GET', `${A}/portal/invitations`, { token: null })).statusCode).toBe(401);
    const still = (await h.call('GET', `${A}/portal/invitations`)).json<{ items: { id: string }[] }>();
    expect(still.items.map((i) => i.id)).toEqual([id]);
  });
});
