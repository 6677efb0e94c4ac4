/**
 * Attack class: login throttling as a denial of service, and throttling that one replica forgets.
 * Failures count per (account, client address) in the database: someone guessing the admin's
 * password from one address is slowed down (429 problem+json with Retry-After, growing locks), the
 * admin signing in from another address is not locked out, and every replica sees the same counts.
 */
import { silentLogger } from '@gatehouse/core';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../control-plane/src/app.js';
import {
  ADMIN,
  createHarness,
  describeOnBackends,
  type Harness,
} from '../../control-plane/src/test-support/harness.js';

const THROTTLE = {
  freeAttempts: 5,
  freeAttemptsPerAddress: 30,
  baseLockMs: 400,
  maxLockMs: 60_000,
  resetAfterMs: 3_600_000,
};
const ATTACKER = '203.0.113.66';
const ADMIN_ADDRESS = '198.51.100.7';

describeOnBackends('login throttling', (backend) => {
  let h: Harness;
  let replica: FastifyInstance;

  beforeAll(async () => {
    h = await createHarness(backend, { throttle: THROTTLE });
    // A second control plane on the same database, as behind a load balancer.
    replica = await buildApp({
      db: h.db,
      orgId: h.orgId,
      secretBox: h.secretBox,
      logger: silentLogger(),
      throttle: THROTTLE,
    });
  }, 120_000);
  afterAll(async () => {
    await replica?.close();
    await h?.close();
  });

  const login = (app: FastifyInstance, address: string, password: string) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: address,
      payload: { email: ADMIN.email, password },
    });

  it('locks the guessing address out, not the account owner elsewhere; replicas share the counts', async () => {
    for (let i = 0; i < THROTTLE.freeAttempts; i++) {
      expect((await login(h.app, ATTACKER, `wrong-${i}`)).statusCode).toBe(401);
    }
    const locked = await login(h.app, ATTACKER, ADMIN.password);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['content-type']).toContain('application/problem+json');
    expect(locked.json()).toMatchObject({ status: 429, code: 'too_many_requests' });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The other replica knows.
    expect((await login(replica, ATTACKER, ADMIN.password)).statusCode).toBe(429);
    // The owner, from their own address, on either replica.
    expect((await login(h.app, ADMIN_ADDRESS, ADMIN.password)).statusCode).toBe(200);
    expect((await login(replica, ADMIN_ADDRESS, ADMIN.password)).statusCode).toBe(200);
  }, 90_000); // argon2 per attempt on a shared CI machine

  it('backs off exponentially: each failure after the allowance locks twice as long', async () => {
    const address = '192.0.2.10';
    for (let i = 0; i < THROTTLE.freeAttempts; i++) await login(h.app, address, 'nope');
    const lockOf = async () => {
      const result = await h.db.execute(
        sql`SELECT failures, extract(epoch FROM locked_until - last_failure_at) * 1000 AS ms FROM login_throttle WHERE address = ${address} AND account = ${ADMIN.email}`,
      );
      const row = (result as unknown as { rows: { failures: number; ms: string | number }[] }).rows[0]!;
      return { failures: Number(row.failures), ms: Math.round(Number(row.ms)) };
    };
    expect(await lockOf()).toEqual({ failures: 5, ms: 400 });
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect((await login(replica, address, 'nope')).statusCode).toBe(401);
    expect(await lockOf()).toEqual({ failures: 6, ms: 800 });
    // A success from that address clears its count.
    await new Promise((resolve) => setTimeout(resolve, 850));
    expect((await login(h.app, address, ADMIN.password)).statusCode).toBe(200);
    expect((await login(h.app, address, 'nope')).statusCode).toBe(401);
  }, 90_000);
});
