/**
 * A real stack on loopback for the browser tests: a control plane (PostgreSQL, fresh schema) serving
 * the built console, a test upstream, and a gateway registered through the API and connected in
 * hybrid mode with short heartbeat and analytics intervals (so a rollout and traffic show quickly).
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlPlane, startControlPlane } from '@gatehouse/control-plane';
import { FAST_PASSWORD_HASHING } from '@gatehouse/control-plane/testing';
import { silentLogger } from '@gatehouse/core';
import { freePorts } from '@gatehouse/core/testing';
import { startHybridGateway } from '@gatehouse/gateway';
import { startTestUpstream, type TestUpstream } from '@gatehouse/gateway/testing';
import pg from 'pg';

export const ADMIN = { email: 'console-e2e@example.test', password: 'console-e2e-password-1' };

export interface Stack {
  cp: ControlPlane;
  consoleUrl: string;
  gatewayUrl: string;
  upstream: TestUpstream;
  adminToken: string;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startStack(databaseUrl: string): Promise<Stack> {
  const schema = `gh_console_e2e_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const cp = await startControlPlane({
    port: 0,
    databaseUrl,
    databaseSchema: schema,
    adminEmail: ADMIN.email,
    adminPassword: ADMIN.password,
    // PostgreSQL needs the key that encrypts secrets at rest (a fresh one per run).
    secretKey: { key: randomBytes(32).toString('base64') },
    logger: silentLogger(),
    heartbeatIntervalMs: 1_000,
    analyticsRetentionMs: 0,
    // The browser tests sign up and sign in many times; they test screens, not argon2.
    passwordHashing: FAST_PASSWORD_HASHING,
  });
  const login = await fetch(`${cp.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  const { token: adminToken } = (await login.json()) as { token: string };
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${cp.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };
  const upstream = await startTestUpstream();
  const registered = await api<{ token: string }>('POST', '/environments/default/gateways', { name: 'edge-1' });
  const key = await (
    await fetch(`${cp.url}/api/v1/gateway/signing-key`, { headers: { authorization: `Bearer ${registered.token}` } })
  ).json();
  const backupDir = mkdtempSync(join(tmpdir(), 'gatehouse-console-gw-'));
  const [port, adminPort] = await freePorts(2);
  const gateway = await startHybridGateway({
    controlPlaneUrl: cp.url,
    token: registered.token,
    controlPlanePublicKey: (key as { publicKeyPem: string }).publicKeyPem,
    backupDir,
    host: '127.0.0.1',
    port: port!,
    adminPort: adminPort!,
    accessLog: 'off',
    logger: silentLogger(),
    heartbeatIntervalMs: 1_000,
    pollIntervalMs: 1_000,
    analyticsIntervalMs: 500,
  });
  return {
    cp,
    consoleUrl: `${cp.url}/console/`,
    gatewayUrl: gateway.url,
    upstream,
    adminToken,
    api,
    async close() {
      await gateway.close();
      await upstream.close();
      await cp.close();
      rmSync(backupDir, { recursive: true, force: true });
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
