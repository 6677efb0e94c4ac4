/**
 * The gateway side of hybrid mode against a fake control plane that speaks the protocol
 * (test-support/fake-control-plane.ts): real listeners on 127.0.0.1, real HTTP, real files.
 */

import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger, hashApiKey, silentLogger } from '@gatehouse/core';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestUpstream, type TestUpstream } from '../testing/harness.js';
import { type HybridGateway, type HybridGatewayOptions, startHybridGateway } from './hybrid-gateway.js';
import { type FakeControlPlane, resign, startFakeControlPlane } from './test-support/fake-control-plane.js';

const API_KEY = 'acme-hybrid-key-0001';

function definition(upstreamUrl: string, extra: { revision?: number; header?: string; policies?: unknown[] } = {}) {
  return {
    version: 1,
    apis: [
      {
        id: 'open',
        name: 'Open',
        basePath: '/open',
        revision: extra.revision ?? 1,
        upstream: { targets: [{ url: upstreamUrl }] },
        policies: [
          { policy: 'set-headers', config: { response: { set: { 'x-revision': String(extra.revision ?? 1) } } } },
          ...(extra.policies ?? []),
        ],
        plans: [{ id: 'free', security: { type: 'keyless' } }],
      },
      {
        id: 'orders',
        name: 'Orders',
        basePath: '/orders',
        revision: 4,
        upstream: { targets: [{ url: upstreamUrl }] },
        plans: [{ id: 'gold', security: { type: 'api-key' } }],
      },
    ],
  };
}

const acme = (keys: string[]) => ({
  id: 'acme',
  name: 'ACME',
  subscriptions: [
    { api: 'orders', plan: 'gold', apiKeys: keys.map((k, i) => ({ id: `k${i}`, keyHash: hashApiKey(k) })) },
  ],
});

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<{ cp: FakeControlPlane; upstream: TestUpstream; dir: string }> {
  const upstream = await startTestUpstream();
  const cp = await startFakeControlPlane();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gh-hybrid-gw-'));
  cleanups.push(
    () => upstream.close(),
    () => cp.close(),
    () => rm(dir, { recursive: true, force: true }),
  );
  cp.deploy(definition(upstream.url));
  return { cp, upstream, dir };
}

async function gatewayFor(
  cp: FakeControlPlane,
  dir: string,
  options: Partial<HybridGatewayOptions> = {},
): Promise<HybridGateway> {
  const gw = await startHybridGateway({
    controlPlaneUrl: cp.url,
    token: cp.token,
    backupDir: dir,
    host: '127.0.0.1',
    port: 0,
    adminPort: 0,
    logger: process.env.HYBRID_DEBUG ? createLogger({ name: 'gw', level: 'debug' }) : silentLogger(),
    accessLog: 'off',
    analyticsIntervalMs: 100,
    ...options,
  });
  cleanups.push(() => gw.close());
  return gw;
}

async function until<T>(probe: () => Promise<T> | T, timeoutMs = 5000, label = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const lastErrors = (cp: FakeControlPlane) =>
  ((cp.heartbeats.at(-1)?.errors ?? []) as Array<{ message: string }>).map((e) => e.message).join('\n');

const statusOf = async (gw: HybridGateway, p: string, headers: Record<string, string> = {}) =>
  (await fetch(gw.url + p, { headers })).status;

describe('hybrid gateway (fake control plane)', () => {
  it('applies the snapshot, propagates a deploy through the change stream and credentials as deltas, and heartbeats', async () => {
    const { cp, upstream, dir } = await setup();
    // The poll is pushed out of the test's reach: every change below can only arrive through the
    // change stream (how fast it arrives is bench:fleet's business, not a unit test's).
    const gw = await gatewayFor(cp, dir, { pollIntervalMs: 3_600_000 });
    expect(await statusOf(gw, '/open/x')).toBe(200);
    expect(await statusOf(gw, '/orders/x', { 'x-api-key': API_KEY })).toBe(401);

    cp.deploy(definition(upstream.url, { revision: 2 }));
    await until(async () => (await fetch(`${gw.url}/open/x`)).headers.get('x-revision') === '2', 10_000, 'revision 2');

    // Deltas patch the compiled config's credentials: the same compiled version keeps serving.
    const compiled = gw.current();
    cp.upsertApplication(acme([API_KEY]));
    await until(
      async () => (await statusOf(gw, '/orders/x', { 'x-api-key': API_KEY })) === 200,
      10_000,
      'key accepted',
    );
    expect(cp.syncAnswers.at(-1)).toBe('delta');
    cp.deleteApplication('acme');
    await until(async () => (await statusOf(gw, '/orders/x', { 'x-api-key': API_KEY })) === 401, 10_000, 'key removed');
    expect(cp.syncAnswers.at(-1)).toBe('delta');
    expect(gw.current()).toBe(compiled);

    const beat = await until(
      () => cp.heartbeats.find((h) => (h.appliedRevisions as Record<string, number>).open === 2),
      10_000,
      'heartbeat',
    );
    expect(beat).toMatchObject({
      appliedRevisions: { open: 2, orders: 4 },
      version: '0.1.0',
      backup: { servingFromBackup: false },
    });
    expect(beat.capabilities).toEqual(
      expect.arrayContaining([{ name: 'rate-limit', version: expect.any(String), kind: 'policy' }]),
    );
    expect(JSON.stringify(cp.heartbeats)).not.toContain(cp.token);
  });

  it('refuses unknown policies, bad signatures and foreign keys; the last good config serves and the heartbeat reports it', async () => {
    const { cp, upstream, dir } = await setup();
    const gw = await gatewayFor(cp, dir);
    const heartbeatsBefore = cp.heartbeats.length;

    // A policy this gateway lacks (capability mismatch): the compile refuses it.
    cp.deploy(definition(upstream.url, { revision: 2, policies: [{ policy: 'no-such-policy', config: {} }] }));
    const refused = await until(
      () => cp.heartbeats.slice(heartbeatsBefore).find((h) => JSON.stringify(h.errors).includes('no-such-policy')),
      10_000,
      'refusal heartbeat',
    );
    expect(refused.appliedRevisions).toMatchObject({ open: 1 });
    expect((await fetch(`${gw.url}/open/x`)).headers.get('x-revision')).toBe('1');

    cp.tamper((message) => ({ ...message, definitionVersion: `${message.definitionVersion}-tampered` }));
    cp.deploy(definition(upstream.url, { revision: 3 }));
    await until(() => lastErrors(cp).includes('invalid signature'), 10_000, 'signature refusal');

    const other = generateKeyPairSync('ed25519').privateKey;
    cp.tamper((message) => resign({ ...cp, keyId: 'k2', privateKey: other }, message) as never);
    cp.deploy(definition(upstream.url, { revision: 4 }));
    await until(() => lastErrors(cp).includes(`trusts "${cp.keyId}"`), 10_000, 'foreign key refusal');
    expect((await fetch(`${gw.url}/open/x`)).headers.get('x-revision')).toBe('1');

    cp.tamper(undefined);
    await gw.hybrid.syncNow();
    expect((await fetch(`${gw.url}/open/x`)).headers.get('x-revision')).toBe('4');
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/gatehouse_config_sync_total\{result="refused"\} 3/);
  });

  it('a gateway that refuses a definition still applies credential changes: a revoked key gets 401 on it', async () => {
    const { cp, upstream, dir } = await setup();
    cp.upsertApplication(acme(['revoked-key-00001', 'kept-key-0000001']));
    const gw = await gatewayFor(cp, dir);
    await until(async () => (await statusOf(gw, '/orders/x', { 'x-api-key': 'revoked-key-00001' })) === 200);

    // A definition this gateway cannot run (a policy it lacks), then a revocation on top of it.
    cp.deploy(definition(upstream.url, { revision: 2, policies: [{ policy: 'no-such-policy', config: {} }] }));
    cp.upsertApplication(acme(['kept-key-0000001']));
    await until(
      async () => (await statusOf(gw, '/orders/x', { 'x-api-key': 'revoked-key-00001' })) === 401,
      3000,
      'revocation despite the refused definition',
    );
    expect(await statusOf(gw, '/orders/x', { 'x-api-key': 'kept-key-0000001' })).toBe(200);
    expect((await fetch(`${gw.url}/open/x`)).headers.get('x-revision')).toBe('1');
    expect(
      gw.hybrid
        .status()
        .errors.map((e) => e.message)
        .join('\n'),
    ).toMatch(/definition refused .*no-such-policy.*; its credentials are applied/);

    // Later revocations arrive as deltas for the refused definition and still apply; the backup keeps them.
    cp.deleteApplication('acme');
    await until(async () => (await statusOf(gw, '/orders/x', { 'x-api-key': 'kept-key-0000001' })) === 401, 3000);
    await gw.close();
    await cp.stop();
    const restarted = await gatewayFor(cp, dir);
    expect(await statusOf(restarted, '/orders/x', { 'x-api-key': 'kept-key-0000001' })).toBe(401);
    expect((await fetch(`${restarted.url}/open/x`)).headers.get('x-revision')).toBe('1');
  });

  it('serves on with zero failed requests while the control plane is down, then applies the changes and delivers the analytics once', async () => {
    const { cp, upstream, dir } = await setup();
    cp.upsertApplication(acme(['old-key-000001']));
    const gw = await gatewayFor(cp, dir, { clientIpAnonymization: 'truncate' });
    let made = 0;
    const get = async (p: string, headers: Record<string, string> = {}) => {
      made++;
      const res = await fetch(gw.url + p, { headers });
      await res.arrayBuffer();
      return res;
    };

    let failed = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) if ((await get('/open/load').catch(() => undefined))?.status !== 200) failed++;
    };
    const load = Promise.all(Array.from({ length: 4 }, worker));
    await until(() => made >= 20, 10_000, 'load before the outage');
    await cp.stop();
    cp.deploy(definition(upstream.url, { revision: 7 }));
    cp.upsertApplication(acme(['old-key-000001', API_KEY]));
    // Waited for, not slept on: the gateway notices the outage and spools while traffic goes on.
    await until(
      () => gw.hybrid.status().controlPlane === 'unreachable' && gw.hybrid.status().analytics.spooledRecords > 0,
      10_000,
      'outage noticed and analytics spooled',
    );
    const madeDuringOutage = made;
    await until(() => made >= madeDuringOutage + 20, 10_000, 'load during the outage');
    await cp.start();
    await until(async () => (await get('/open/x')).headers.get('x-revision') === '7', 8000, 'changes after reconnect');
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await load;
    expect(failed).toBe(0);
    expect((await get('/orders/x', { 'x-api-key': API_KEY })).status).toBe(200);

    await until(
      async () => {
        await gw.hybrid.flushAnalytics();
        return cp.analytics.size >= made && gw.hybrid.status().analytics.spooledRecords === 0;
      },
      8000,
      'analytics replay',
    );
    await new Promise((r) => setTimeout(r, 200));
    await gw.hybrid.flushAnalytics();
    // Every request of the test is counted exactly once (the control plane keys on record id).
    expect(cp.analytics.size).toBe(made);
    const records = [...cp.analytics.values()];
    expect(records.find((r) => r.api === 'orders')).toMatchObject({ plan: 'gold', application: 'acme', status: 200 });
    expect(records[0]).toMatchObject({ clientIp: '127.0.0.0', method: 'GET', status: 200, errorCode: null });
    expect(JSON.stringify(records)).not.toContain(API_KEY);
    console.info(`[hybrid] outage: ${made} requests, ${failed} failed, ${records.length} records delivered once`);
  });

  it('restarts from the backup with the control plane down, reports staleness, and refuses a tampered one', async () => {
    const { cp, dir } = await setup();
    cp.upsertApplication(acme([API_KEY]));
    const first = await gatewayFor(cp, dir);
    expect(await statusOf(first, '/orders/x', { 'x-api-key': API_KEY })).toBe(200);
    await first.close();
    await cp.stop();

    const second = await gatewayFor(cp, dir);
    expect(await statusOf(second, '/orders/x', { 'x-api-key': API_KEY })).toBe(200);
    expect((await fetch(`${second.adminUrl}/readyz`)).status).toBe(200);
    expect(second.hybrid.status()).toMatchObject({ servingFromBackup: true, controlPlane: 'unreachable' });
    expect(await (await fetch(`${second.adminUrl}/metrics`)).text()).toMatch(/gatehouse_config_serving_from_backup 1/);
    await cp.start();
    await until(() => cp.heartbeats.at(-1)?.backup, 5000, 'heartbeat after reconnect');
    await second.hybrid.syncNow();
    expect(second.hybrid.status().servingFromBackup).toBe(false);
    expect(cp.syncAnswers.at(-1)).toBe('unchanged');
    await second.close();
    await cp.stop();

    const file = path.join(dir, 'config-backup.bin');
    const data = await readFile(file);
    data[data.length - 3]! ^= 0x40;
    await writeFile(file, data);
    const third = await gatewayFor(cp, dir);
    const refused = await fetch(`${third.url}/open/x`);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { code: string }).code).toBe('gateway_not_ready');
    expect((await fetch(`${third.adminUrl}/readyz`)).status).toBe(503);
    expect(await (await fetch(`${third.adminUrl}/metrics`)).text()).toMatch(/gatehouse_config_backup_refused_total 1/);
    expect(
      third.hybrid
        .status()
        .errors.map((e) => e.message)
        .join(),
    ).toMatch(/backup refused/);

    // With the control plane back, the gateway needs no restart.
    await cp.start();
    await until(async () => (await statusOf(third, '/open/x')) === 200, 8000, 'ready after the control plane returns');
  });

  it('a revoked token gets no more config: serving goes on from memory; a restart with it is not ready', async () => {
    const { cp, upstream, dir } = await setup();
    const gw = await gatewayFor(cp, dir);
    cp.revoke(cp.token);
    cp.deploy(definition(upstream.url, { revision: 9 }));
    await until(() => gw.hybrid.status().controlPlane === 'unauthorized', 3000, 'unauthorized');
    expect((await fetch(`${gw.url}/open/x`)).headers.get('x-revision')).toBe('1');
    await gw.close();

    const restarted = await gatewayFor(cp, dir);
    expect(restarted.hybrid.status().controlPlane).toBe('unauthorized');
    expect(await statusOf(restarted, '/open/x')).toBe(503);
  });
});
