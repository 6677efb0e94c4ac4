import { GatewayError } from '@gatehouse/core';
import argon2 from 'argon2';
import bcrypt from 'bcrypt';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAtPath, validatePolicyConfig } from '../sdk/define.js';
import type { PolicyEnvironment, PolicyHandlers } from '../sdk/types.js';
import { createTestContext } from '../testing/context.js';
import { basicAuthContract } from './contract.js';
import { basicAuthPolicy, USERNAME_ATTRIBUTE } from './index.js';
import { MAX_CONCURRENT_VERIFICATIONS, MAX_WAITING_VERIFICATIONS } from './password-hash.js';
import type { BasicAuthConfig } from './schema.js';

let argonHash: string;
let bcryptHash: string;

beforeAll(async () => {
  argonHash = await argon2.hash('argon-password', { type: argon2.argon2id, memoryCost: 8192, timeCost: 2 });
  bcryptHash = await bcrypt.hash('bcrypt-password', 4);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

const PATH = 'apis[0].policies[0].config';

function policy(config: Record<string, unknown>): PolicyHandlers {
  const valid = validatePolicyConfig<BasicAuthConfig>(basicAuthPolicy, config, PATH);
  return createAtPath(PATH, () => basicAuthPolicy.create(valid, {} as PolicyEnvironment));
}

function users() {
  return [
    { username: 'alice', passwordHash: argonHash },
    { username: 'bob', passwordHash: bcryptHash },
    { username: 'carol', passwordHash: bcryptHash.replace(/^\$2b\$/, '$2y$') },
  ];
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function run(handlers: PolicyHandlers, authorization?: string, clientIp = '127.0.0.1') {
  const ctx = createTestContext({ headers: authorization ? { authorization } : {}, clientIp });
  try {
    await handlers.request!(ctx);
    return { ctx, error: undefined };
  } catch (error) {
    return { ctx, error: error as GatewayError };
  }
}

describe('basic-auth', () => {
  it('accepts argon2id, bcrypt $2b$ and $2y$ hashes, sets the user attribute and strips the header', async () => {
    const p = policy({ credentials: users() });
    for (const [user, password] of [
      ['alice', 'argon-password'],
      ['bob', 'bcrypt-password'],
      ['carol', 'bcrypt-password'],
    ]) {
      const { ctx, error } = await run(p, basic(user!, password!));
      expect(error).toBeUndefined();
      expect(ctx.attributes[USERNAME_ATTRIBUTE]).toBe(user);
      expect(ctx.request.headers.authorization).toBeUndefined();
    }
  });

  it('answers 401 with a Basic challenge for missing, foreign-scheme or wrong credentials', async () => {
    const p = policy({ realm: 'reports', credentials: users() });
    for (const header of [
      undefined,
      'Bearer abc',
      'Basic !!!',
      basic('alice', 'wrong'),
      basic('mallory', 'argon-password'),
      'Basic ' + Buffer.from('alice').toString('base64'),
    ]) {
      const { ctx, error } = await run(p, header);
      expect(error).toBeInstanceOf(GatewayError);
      expect(error!.status).toBe(401);
      expect(error!.headers).toEqual({ 'www-authenticate': 'Basic realm="reports", charset="UTF-8"' });
      expect(ctx.attributes[USERNAME_ATTRIBUTE]).toBeUndefined();
      expect(error!.detail).not.toContain('argon');
    }
  });

  it('pays the hash cost once per TTL for repeated correct credentials, never caches failures', async () => {
    const verify = vi.spyOn(argon2, 'verify');
    const p = policy({ credentials: users(), cacheTtl: '1m' });
    for (let i = 0; i < 5; i++) expect((await run(p, basic('alice', 'argon-password'))).error).toBeUndefined();
    expect(verify).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 2; i++) expect((await run(p, basic('alice', 'nope'))).error?.status).toBe(401);
    expect(verify).toHaveBeenCalledTimes(3);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 61_000);
    expect((await run(p, basic('alice', 'argon-password'))).error).toBeUndefined();
    expect(verify).toHaveBeenCalledTimes(4);
  });

  it('verifies unknown users against a real hash too (no timing shortcut)', async () => {
    const verify = vi.spyOn(argon2, 'verify');
    const p = policy({ credentials: [{ username: 'alice', passwordHash: argonHash }] });
    expect((await run(p, basic('mallory', 'x'))).error?.status).toBe(401);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('throttles failed logins per user and client address, without checking the hash', async () => {
    const p = policy({ credentials: users(), maxFailures: 3, failureWindow: '1m', cacheTtl: '0ms' });
    for (let i = 0; i < 3; i++) expect((await run(p, basic('bob', 'wrong'), '10.0.0.1')).error?.status).toBe(401);
    const compare = vi.spyOn(bcrypt, 'compare');
    const blocked = (await run(p, basic('bob', 'bcrypt-password'), '10.0.0.1')).error!;
    expect([blocked.code, blocked.status]).toEqual(['too_many_requests', 429]);
    expect(Number(blocked.headers?.['retry-after'])).toBeGreaterThan(0);
    expect(compare).not.toHaveBeenCalled();
    // Another address, and another user from the same address, are not affected.
    expect((await run(p, basic('bob', 'bcrypt-password'), '10.0.0.2')).error).toBeUndefined();
    expect((await run(p, basic('carol', 'bcrypt-password'), '10.0.0.1')).error).toBeUndefined();
    // The window ends.
    vi.useFakeTimers({ now: Date.now() + 61_000, toFake: ['Date'] });
    expect((await run(p, basic('bob', 'bcrypt-password'), '10.0.0.1')).error).toBeUndefined();
  });

  it('answers 503 at once when too many hash checks are running and waiting', async () => {
    const p = policy({ credentials: users(), cacheTtl: '0ms' });
    const settled: Array<number | undefined> = [];
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        run(p, basic(`user${i}`, 'wrong'), `10.1.0.${i}`).then((outcome) => {
          settled.push(outcome.error?.status);
          return outcome;
        }),
      ),
    );
    const busy = outcomes.filter((o) => o.error?.code === 'service_unavailable');
    expect(busy.length).toBe(60 - MAX_CONCURRENT_VERIFICATIONS - MAX_WAITING_VERIFICATIONS);
    // At once: every 503 is answered before the first hash check ends (ordered, not timed).
    expect(settled.slice(0, busy.length).every((status) => status === 503)).toBe(true);
    expect(busy[0]!.error!.headers?.['retry-after']).toBe('1');
    expect(outcomes.filter((o) => o.error?.status === 401).length).toBe(
      MAX_CONCURRENT_VERIFICATIONS + MAX_WAITING_VERIFICATIONS,
    );
  });

  it('keeps the Authorization header with forwardCredentials', async () => {
    const header = basic('bob', 'bcrypt-password');
    const { ctx, error } = await run(policy({ credentials: users(), forwardCredentials: true }), header);
    expect(error).toBeUndefined();
    expect(ctx.request.headers.authorization).toBe(header);
  });

  it('check() refuses plaintext passwords and duplicate users with their paths, never echoing the hash', () => {
    const issues = basicAuthContract.check!({
      credentials: [
        { username: 'alice', passwordHash: argonHash },
        { username: 'bob', passwordHash: 'hunter2' },
        { username: 'alice', passwordHash: bcryptHash },
      ],
    } as BasicAuthConfig);
    expect(issues.map((i) => i.path)).toEqual(['credentials[1].passwordHash', 'credentials[2].username']);
    expect(JSON.stringify(issues)).not.toContain('hunter2');
  });

  it('refuses plaintext passwords and duplicate users at load, naming the field', () => {
    expect(() =>
      policy({
        credentials: [
          { username: 'alice', passwordHash: argonHash },
          { username: 'bob', passwordHash: 'hunter2' },
        ],
      }),
    ).toThrow(
      `${PATH}.credentials[1].passwordHash: not a bcrypt ($2a$/$2b$/$2y$) or argon2 ($argon2id$...) hash; plaintext passwords are refused`,
    );
    expect(() => policy({ credentials: [{ username: 'alice', passwordHash: '$2b$10$short' }] })).toThrow(
      /credentials\[0\]\.passwordHash/,
    );
    expect(() =>
      policy({
        credentials: [
          { username: 'a', passwordHash: argonHash },
          { username: 'a', passwordHash: bcryptHash },
        ],
      }),
    ).toThrow(/credentials\[1\]\.username/);
    expect(() => policy({ credentials: [{ username: 'a:b', passwordHash: argonHash }] })).toThrow(
      /credentials\[0\]\.username/,
    );
  });

  it('never lets anyone in when no credentials are configured', async () => {
    expect((await run(policy({}), basic('alice', 'argon-password'))).error?.status).toBe(401);
  });
});
