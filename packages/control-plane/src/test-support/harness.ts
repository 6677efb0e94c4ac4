/**
 * Test harness: one database per test file (PGlite in memory always; PostgreSQL in a fresh schema
 * when DATABASE_URL is set), tables truncated between tests, requests through app.inject.
 */
import { randomBytes } from 'node:crypto';
import { SecretBox, silentLogger } from '@gatehouse/core';
import { serviceUrl } from '@gatehouse/core/testing';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { describe } from 'vitest';
import { type BuildAppOptions, buildApp } from '../app.js';
import { type PasswordHashing, setPasswordHashing } from '../auth/passwords.js';
import type { ThrottleOptions } from '../auth/throttle.js';
import { bootstrap } from '../bootstrap.js';
import { type Database, openDatabase } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import type { Mailer } from '../mail/mailer.js';
import type { PortalThrottleLimits } from '../services/portal-accounts.js';
import type { PortalSettingsReader } from '../services/portal-directory.js';
import { FAST_PASSWORD_HASHING } from '../testing/password-hashing.js';

export interface Backend {
  name: 'pglite' | 'postgres';
  url?: string | undefined;
  skipReason?: string | undefined;
}

export function backends(): Backend[] {
  const postgres = serviceUrl('DATABASE_URL');
  return [{ name: 'pglite' }, { name: 'postgres', url: postgres.url, skipReason: postgres.skipReason }];
}

/**
 * Runs the same suite once per backend: "<title> on pglite" and "<title> on postgres", the latter
 * skipped (with the reason in its title) when PostgreSQL is not configured.
 */
export function describeOnBackends(title: string, suite: (backend: Backend) => void): void {
  for (const backend of backends()) {
    const reason = backend.skipReason ? ` (${backend.skipReason})` : '';
    describe.skipIf(backend.skipReason !== undefined)(`${title} on ${backend.name}${reason}`, () => suite(backend));
  }
}

export const ADMIN = { email: 'admin@example.test', password: 'correct-horse-battery-staple' };
// signing_keys survives resets: the key is generated once per database, as in production.
const TABLES = [
  'portal_tokens',
  'portal_signups',
  'login_throttle',
  'analytics_requests',
  'analytics_rollups',
  'config_changes',
  'gateway_heartbeats',
  'audit_events',
  'api_keys',
  'subscriptions',
  'applications',
  'deployments',
  'plans',
  'apis',
  'gateways',
  'auth_tokens',
  'memberships',
  'environments',
  'users',
  'organizations',
];

export interface Harness {
  db: Database;
  app: FastifyInstance;
  orgId: string;
  adminToken: string;
  /** The key this harness's control plane seals secrets with (a second replica needs it too). */
  secretBox: SecretBox;
  reset(): Promise<void>;
  close(): Promise<void>;
  call(
    method: string,
    url: string,
    options?: { token?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse & { json: <T = unknown>() => T }>;
  login(email: string, password: string): Promise<string>;
  createUser(
    email: string,
    role?: 'admin' | 'publisher' | 'viewer' | 'consumer',
    env?: string,
  ): Promise<{ id: string; token: string }>;
  /**
   * A fresh environment with one published, public API (`orders`, base path `/orders`) and an
   * api-key plan `gold`: what sync, snapshot and fan-out tests start from. Returns its API path.
   */
  createEnvironmentWithApi(): Promise<{ slug: string; env: string }>;
}

export interface HarnessOptions {
  heartbeatIntervalMs?: number;
  throttle?: ThrottleOptions;
  /** Portal accounts: mail, settings and sign-up limits (see BuildAppOptions). */
  mailer?: Mailer;
  portalSettings?: PortalSettingsReader;
  portalLimits?: PortalThrottleLimits;
  /** Cost of password hashes; default the cheap test cost (a test of the strong one passes it). */
  passwordHashing?: PasswordHashing;
  /** Pacing of change events to gateways' streams (see BuildAppOptions). */
  fanOut?: BuildAppOptions['fanOut'];
}

export async function createHarness(backend: Backend, options: HarnessOptions = {}): Promise<Harness> {
  let schema: string | undefined;
  if (backend.name === 'postgres') {
    schema = `gh_test_${randomBytes(6).toString('hex')}`;
    const client = new pg.Client({ connectionString: backend.url });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
  }
  const handle = await openDatabase({ databaseUrl: backend.url, searchPath: schema, poolSize: 4 });
  const passwordHashing = options.passwordHashing ?? FAST_PASSWORD_HASHING;
  // Before reset's bootstrap, which hashes the admin's password.
  setPasswordHashing(passwordHashing);
  await migrate(handle.db);
  const db = handle.db;
  let app: FastifyInstance | undefined;
  // One key per harness: the signing key, sealed under it, survives resets.
  const secretBox = new SecretBox(randomBytes(32));
  const h: Harness = {
    db,
    app: undefined as unknown as FastifyInstance,
    orgId: '',
    adminToken: '',
    secretBox,
    async reset() {
      await db.execute(sql.raw(`TRUNCATE ${TABLES.join(', ')} CASCADE`));
      const boot = await bootstrap(db, { adminEmail: ADMIN.email, adminPassword: ADMIN.password });
      if (!app || h.orgId !== boot.orgId) {
        await app?.close();
        app = await buildApp({
          db,
          orgId: boot.orgId,
          logger: silentLogger(),
          secretBox,
          throttle: options.throttle ?? {
            freeAttempts: 5,
            freeAttemptsPerAddress: 1000,
            baseLockMs: 60_000,
            maxLockMs: 15 * 60_000,
            resetAfterMs: 60 * 60_000,
          },
          heartbeatIntervalMs: options.heartbeatIntervalMs,
          mailer: options.mailer,
          publicUrl: 'https://portal.example.test',
          portalSettings: options.portalSettings,
          portalLimits: options.portalLimits,
          passwordHashing,
          fanOut: options.fanOut,
        });
      }
      h.app = app;
      h.orgId = boot.orgId;
      h.adminToken = await h.login(ADMIN.email, ADMIN.password);
    },
    async close() {
      await app?.close();
      if (schema) await db.execute(sql.raw(`DROP SCHEMA ${schema} CASCADE`));
      await handle.close();
    },
    async call(method, url, options = {}) {
      const token = options.token === undefined ? h.adminToken : options.token;
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await h.app.inject({
        method: method as 'GET',
        url,
        headers,
        ...(options.body !== undefined ? { payload: options.body as object } : {}),
      });
      return res as LightMyRequestResponse & { json: <T = unknown>() => T };
    },
    async login(email, password) {
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
      if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
      return res.json().token as string;
    },
    async createUser(email, role, env = 'default') {
      const password = 'a-long-enough-password';
      const res = await h.call('POST', '/api/v1/users', { body: { email, password } });
      if (res.statusCode !== 201) throw new Error(`create user: ${res.body}`);
      const id = res.json().id as string;
      if (role) {
        const m = await h.call('POST', `/api/v1/environments/${env}/members`, { body: { userId: id, role } });
        if (m.statusCode !== 201) throw new Error(`add member: ${m.body}`);
      }
      return { id, token: await h.login(email, password) };
    },
    async createEnvironmentWithApi() {
      const slug = `env-${randomBytes(4).toString('hex')}`;
      const env = `/api/v1/environments/${slug}`;
      const steps: Array<[string, unknown]> = [
        ['/api/v1/environments', { id: slug }],
        [
          `${env}/apis`,
          {
            id: 'orders',
            name: 'Orders',
            basePath: '/orders',
            upstream: { targets: [{ url: 'http://127.0.0.1:9' }] },
            lifecycle: 'published',
            visibility: 'public',
          },
        ],
        [`${env}/apis/orders/plans`, { id: 'gold', security: { type: 'api-key' } }],
      ];
      for (const [url, body] of steps) {
        const res = await h.call('POST', url, { body });
        if (res.statusCode !== 201) throw new Error(`POST ${url}: ${res.statusCode} ${res.body}`);
      }
      return { slug, env };
    },
  };
  await h.reset();
  return h;
}
