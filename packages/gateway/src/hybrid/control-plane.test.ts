/**
 * Hybrid mode end to end: the real control plane (PGlite in a temp dir, one for the whole file)
 * and gateways spawned from the built CLI, talking through a TCP proxy the tests can cut to make
 * the control plane unreachable while it keeps accepting changes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@gatehouse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestUpstream, type TestUpstream } from '../testing/harness.js';
import {
  assertCliBuilt,
  type CuttableProxy,
  type SpawnedGateway,
  spawnGateway,
  startProxy,
} from './test-support/processes.js';

// biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON answers of the management API
type Json = Record<string, any>;
const ADMIN = { email: 'admin@hybrid.test', password: 'hybrid-test-password-0001' };
const ENV = '/api/v1/environments/default';

let cp: { url: string; close(): Promise<void> };
let proxy: CuttableProxy;
let upstream: TestUpstream;
let dataDir: string;
let adminToken: string;
let apiKey: string;
let subscriptionId: string;
let revision = 0;
const spawned: SpawnedGateway[] = [];
const tempDirs: string[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

async function call(
  method: string,
  url: string,
  body?: unknown,
  token: string = adminToken,
): Promise<{ status: number; json: Json }> {
  const res = await fetch(cp.url + url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Json) : {} };
}

/** Changes the `orders` API so responses carry `x-rev: <n>`, and deploys it; answers n. */
async function deployRevision(extraPolicies: unknown[] = []): Promise<number> {
  const n = ++revision;
  const patched = await call('PATCH', `${ENV}/apis/orders`, {
    policies: [{ policy: 'set-headers', config: { response: { set: { 'x-rev': String(n) } } } }, ...extraPolicies],
  });
  expect(patched.status, JSON.stringify(patched.json)).toBe(200);
  const deployed = await call('POST', `${ENV}/apis/orders/deployments`, {});
  if (deployed.status !== 201) return -deployed.status;
  return n;
}

async function registerGateway(): Promise<{ id: string; token: string }> {
  const res = await call('POST', `${ENV}/gateways`, { name: `gw-${randomUUID().slice(0, 8)}` });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json as { id: string; token: string };
}

async function startGateway(token: string, backupDir?: string): Promise<SpawnedGateway> {
  const dir = backupDir ?? (await tempDir('gh-gw-backup-'));
  const gw = await spawnGateway(proxy.url, token, dir);
  spawned.push(gw);
  return gw;
}

async function until<T>(probe: () => Promise<T> | T, timeoutMs: number, label: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve()
      .then(probe)
      .catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const orders = (gw: SpawnedGateway, key = apiKey) => fetch(`${gw.url}/orders/items`, { headers: { 'x-api-key': key } });
const revOf = async (gw: SpawnedGateway) => {
  const res = await orders(gw);
  await res.arrayBuffer();
  return res.headers.get('x-rev');
};

async function analyticsTotal(from: string, applicationId: string): Promise<number> {
  const res = await call(
    'GET',
    `${ENV}/analytics/requests?apiId=orders&applicationId=${applicationId}&from=${encodeURIComponent(from)}`,
  );
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json.total as number;
}

beforeAll(async () => {
  assertCliBuilt();
  const { startControlPlane } = await import('@gatehouse/control-plane');
  dataDir = await tempDir('gh-cp-data-');
  upstream = await startTestUpstream();
  cp = await startControlPlane({
    port: 0,
    dataDir,
    adminEmail: ADMIN.email,
    adminPassword: ADMIN.password,
    logger: silentLogger(),
  });
  proxy = await startProxy(Number(new URL(cp.url).port));
  const login = await fetch(`${cp.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  adminToken = ((await login.json()) as Json).token;
  const api = await call('POST', `${ENV}/apis`, {
    id: 'orders',
    name: 'Orders',
    basePath: '/orders',
    upstream: { targets: [{ url: upstream.url }] },
    lifecycle: 'published',
    visibility: 'public',
  });
  expect(api.status, JSON.stringify(api.json)).toBe(201);
  expect((await call('POST', `${ENV}/apis/orders/plans`, { id: 'gold', security: { type: 'api-key' } })).status).toBe(
    201,
  );
  expect(await deployRevision()).toBe(1);
  const subscriber = await newSubscriber('Hybrid app');
  apiKey = subscriber.key;
  subscriptionId = subscriber.subscriptionId;
}, 60_000);

async function newSubscriber(name: string): Promise<{ key: string; applicationId: string; subscriptionId: string }> {
  const app = await call('POST', `${ENV}/applications`, { name });
  const sub = await call('POST', `${ENV}/applications/${app.json.id}/subscriptions`, {
    apiId: 'orders',
    planId: 'gold',
  });
  expect(sub.status, JSON.stringify(sub.json)).toBe(201);
  const key = await call('POST', `${ENV}/subscriptions/${sub.json.id}/api-keys`, {});
  expect(key.status, JSON.stringify(key.json)).toBe(201);
  return { key: key.json.key, applicationId: app.json.id, subscriptionId: sub.json.id };
}

afterAll(async () => {
  await Promise.all(spawned.map((g) => g.stop()));
  await proxy?.close();
  await cp?.close();
  await upstream?.close();
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('hybrid mode with the real control plane and gateway processes', () => {
  it('propagates a deploy in under 1 s and a new API key at once', async () => {
    const gw = await startGateway((await registerGateway()).token);
    expect(await revOf(gw)).toBe('1');

    const started = performance.now();
    const n = await deployRevision();
    await until(async () => (await revOf(gw)) === String(n), 3000, `revision ${n}`);
    const propagationMs = performance.now() - started;
    expect(propagationMs).toBeLessThan(1000);

    const keyStarted = performance.now();
    const fresh = await call('POST', `${ENV}/subscriptions/${subscriptionId}/api-keys`, {});
    await until(async () => (await orders(gw, fresh.json.key)).status === 200, 3000, 'new key');
    const keyMs = performance.now() - keyStarted;
    console.info(
      `[hybrid e2e] deploy propagation ${propagationMs.toFixed(0)} ms (PATCH + deploy + sync + apply); new key ${keyMs.toFixed(0)} ms`,
    );
  });

  it('control plane lost under load: zero failed requests, changes made meanwhile applied, analytics counted exactly once', {
    timeout: 45_000,
  }, async () => {
    const gw = await startGateway((await registerGateway()).token);
    await until(async () => (await revOf(gw)) === String(revision), 3000, 'current revision');
    // Its own application, so the analytics of exactly this test's requests can be counted.
    const subscriber = await newSubscriber('Outage app');
    const from = new Date(Date.now() - 60_000).toISOString();
    // Requests answered 200 carry the application; the first probes may be 401 until the key arrives.
    let made = 0;
    const send = async () => {
      const res = await orders(gw, subscriber.key);
      await res.arrayBuffer();
      if (res.status === 200) made++;
      return res;
    };
    await until(async () => (await send()).status === 200, 3000, 'key of the outage app');
    let failed = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        if ((await send().catch(() => undefined))?.status !== 200) failed++;
        // Paced: the point is steady traffic through the outage, not a flood to replay.
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    const load = Promise.all(Array.from({ length: 3 }, worker));
    await new Promise((r) => setTimeout(r, 500));
    await proxy.cut();
    const n = await deployRevision();
    await new Promise((r) => setTimeout(r, 2500));
    expect(await gw.metric('gatehouse_analytics_spooled_records')).toBeGreaterThan(0);
    await proxy.restore();
    await until(
      async () => (await send()).headers.get('x-rev') === String(n),
      10_000,
      'revision deployed during the outage',
    );
    stop = true;
    await load;
    expect(failed).toBe(0);
    // Every request recorded once: spooled batches replayed, deduplicated by id on the control plane.
    await until(
      async () => {
        return (await analyticsTotal(from, subscriber.applicationId)) >= made;
      },
      15_000,
      'analytics',
    );
    await new Promise((r) => setTimeout(r, 2500)); // a replayed duplicate would land by now
    const total = await analyticsTotal(from, subscriber.applicationId);
    expect(total).toBe(made);
    console.info(`[hybrid e2e] outage: ${made} requests, ${failed} failed, ${total} counted by the control plane`);
  });

  it('restarted with the control plane down it serves from its backup; a tampered backup is refused (503)', async () => {
    const { token } = await registerGateway();
    const dir = await tempDir('gh-gw-backup-');
    const first = await startGateway(token, dir);
    await until(async () => (await revOf(first)) === String(revision), 3000, 'current revision');
    await first.stop();
    await proxy.cut();
    try {
      const second = await startGateway(token, dir);
      expect(await revOf(second)).toBe(String(revision));
      expect(await second.metric('gatehouse_config_serving_from_backup')).toBe(1);
      expect((await fetch(`${second.adminUrl}/readyz`)).status).toBe(200);
      await second.stop();

      const file = path.join(dir, 'config-backup.bin');
      const data = await readFile(file);
      data[Math.floor(data.length / 2)]! ^= 0x01;
      await writeFile(file, data);
      const third = await startGateway(token, dir);
      const res = await orders(third);
      expect(res.status).toBe(503);
      expect(((await res.json()) as Json).code).toBe('gateway_not_ready');
      expect((await fetch(`${third.adminUrl}/readyz`)).status).toBe(503);
      expect(await third.metric('gatehouse_config_backup_refused_total')).toBe(1);
      expect(third.output()).toContain('config backup refused');
      await proxy.restore();
      await until(
        async () => (await revOf(third)) === String(revision),
        10_000,
        'ready once the control plane is back',
      );
    } finally {
      await proxy.restore().catch(() => undefined);
    }
  });

  it('a revoked gateway token is refused: no new config, and a restart with it is not ready', async () => {
    const { id, token } = await registerGateway();
    const gw = await startGateway(token);
    await until(async () => (await revOf(gw)) === String(revision), 3000, 'current revision');
    expect((await call('POST', `${ENV}/gateways/${id}/revoke`)).status).toBe(200);
    const n = await deployRevision();
    await until(() => gw.output().includes("refused this gateway's token"), 5000, 'unauthorized');
    // It keeps serving what it has (no outage for clients), but gets nothing new.
    expect(await revOf(gw)).toBe(String(n - 1));
    const fresh = await startGateway(token);
    expect(await (await orders(fresh)).status).toBe(503);
    expect((await fetch(`${fresh.adminUrl}/readyz`)).status).toBe(503);
  });

  it('capability mismatch: the control plane refuses a deploy a connected gateway cannot run; the gateway keeps serving', async () => {
    const gw = await startGateway((await registerGateway()).token);
    await until(async () => (await revOf(gw)) === String(revision), 3000, 'current revision');
    // An older gateway in the fleet that lacks `rate-limit` (its heartbeat says so).
    const old = await registerGateway();
    const beat = await call(
      'POST',
      '/api/v1/gateway/heartbeat',
      {
        instanceId: randomUUID(),
        version: '0.0.9',
        capabilities: [
          { name: 'set-headers', version: '1.0.0', kind: 'policy' },
          { name: 'api-key', version: '1.0.0', kind: 'security' },
        ],
      },
      old.token,
    );
    expect(beat.status).toBe(200);
    const refused = await deployRevision([{ policy: 'rate-limit', config: { limit: 100, window: '1m' } }]);
    expect(refused).toBe(-409);
    expect(await revOf(gw)).toBe(String(revision - 1));
  });
});
