/**
 * The hostile suites' control plane: a real one on loopback over PostgreSQL in a fresh schema
 * (dropped on close), an administrator signed in, and consumers with one application each on
 * demand. Password hashes use the cheap test cost: these suites attack the API, not argon2.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type ControlPlane, startControlPlane } from '@gatehouse/control-plane';
import { FAST_PASSWORD_HASHING } from '@gatehouse/control-plane/testing';
import { silentLogger } from '@gatehouse/core';
import { serviceUrl } from '@gatehouse/core/testing';
import pg from 'pg';
import { expect } from 'vitest';

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field in the tests
export type Json = Record<string, any>;

/** PostgreSQL for the suites that need it; they skip (failing under CI=true) without DATABASE_URL. */
export const database = serviceUrl('DATABASE_URL');

export interface Answer {
  status: number;
  /** Content-Type, '' when absent. */
  type: string;
  text: string;
  /** The body as JSON, {} when empty. */
  body: Json;
}

export interface Consumer {
  token: string;
  /** The id of the application the consumer created. */
  app: string;
}

export interface HostileControlPlane {
  cp: ControlPlane;
  schema: string;
  /** The key secrets at rest are sealed with (a second app on the same database needs it). */
  secretKey: string;
  adminToken: string;
  call(method: string, path: string, token: string | null, body?: unknown): Promise<Answer>;
  login(email: string, password: string): Promise<string>;
  /** Consumers of the default environment, each with an application named "<name> app". */
  consumers<N extends string>(...names: N[]): Promise<Record<N, Consumer>>;
  /** A second environment `other` and a gateway `edge` in each: their tokens. */
  gatewaysInTwoEnvironments(): Promise<{ here: string; other: string }>;
  close(): Promise<void>;
}

async function onDatabase(query: string): Promise<void> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

export async function startHostileControlPlane(admin: {
  email: string;
  password: string;
}): Promise<HostileControlPlane> {
  const schema = `gh_hostile_${randomBytes(5).toString('hex')}`;
  const secretKey = randomBytes(32).toString('base64');
  await onDatabase(`CREATE SCHEMA ${schema}`);
  const cp = await startControlPlane({
    port: 0,
    databaseUrl: database.url!,
    databaseSchema: schema,
    adminEmail: admin.email,
    adminPassword: admin.password,
    secretKey: { key: secretKey },
    logger: silentLogger(),
    analyticsRetentionMs: 0,
    passwordHashing: FAST_PASSWORD_HASHING,
  });
  const call = async (method: string, path: string, token: string | null, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${cp.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, type, text, body: text && type.includes('json') ? (JSON.parse(text) as Json) : {} };
  };
  const login = async (email: string, password: string) =>
    (await call('POST', '/api/v1/auth/login', null, { email, password })).body.token as string;
  const adminToken = await login(admin.email, admin.password);
  const env = '/api/v1/environments/default';
  return {
    cp,
    schema,
    secretKey,
    adminToken,
    call,
    login,
    async consumers<N extends string>(...names: N[]) {
      const made = {} as Record<N, Consumer>;
      for (const name of names) {
        const email = `${name}-${randomUUID().slice(0, 6)}@example.test`;
        const password = `${name}-long-enough-password`;
        const user = await call('POST', '/api/v1/users', adminToken, { email, password });
        await call('POST', `${env}/members`, adminToken, { userId: user.body.id, role: 'consumer' });
        const token = await login(email, password);
        const app = await call('POST', `${env}/applications`, token, { name: `${name} app` });
        expect(app.status).toBe(201);
        made[name] = { token, app: app.body.id };
      }
      return made;
    },
    async gatewaysInTwoEnvironments() {
      expect((await call('POST', '/api/v1/environments', adminToken, { id: 'other', name: 'Other' })).status).toBe(201);
      const here = await call('POST', `${env}/gateways`, adminToken, { name: 'edge' });
      const other = await call('POST', '/api/v1/environments/other/gateways', adminToken, { name: 'edge' });
      return { here: here.body.token as string, other: other.body.token as string };
    },
    async close() {
      await cp.close();
      await onDatabase(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

/** Analytics records are placed from half an hour ago; RANGE is the query window around them. */
export const BASE = Date.now() - 30 * 60_000;
export const RANGE = `from=${new Date(BASE - 60_000).toISOString()}&to=${new Date(BASE + 10 * 60_000).toISOString()}`;

/** One analytics record as a gateway reports it: a 200 to GET on orders/gold, at `time` (ms). */
export function analyticsRecord(application: string, time: number, fields: Json = {}): Json {
  return {
    id: randomUUID(),
    time: new Date(time).toISOString(),
    api: 'orders',
    plan: 'gold',
    application,
    subscription: null,
    method: 'GET',
    route: null,
    status: 200,
    latencyMs: 5,
    upstreamLatencyMs: 4,
    bytesIn: 0,
    bytesOut: 10,
    clientIp: '203.0.113.0',
    errorCode: null,
    ...fields,
  };
}
