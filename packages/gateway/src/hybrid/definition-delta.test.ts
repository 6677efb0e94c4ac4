/**
 * Protocol 4's definition delta, gateway side (docs/decisions/0021-definition-delta.md), against the
 * fake control plane: the new definition is compiled, the credential index is kept and patched; a
 * refused definition keeps the served one and still applies the credential changes; a restart from
 * the backup (snapshot + journal) serves the same config.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashApiKey, silentLogger } from '@gatehouse/core';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestUpstream, type TestUpstream } from '../testing/harness.js';
import { type HybridGateway, startHybridGateway } from './hybrid-gateway.js';
import { type FakeControlPlane, startFakeControlPlane } from './test-support/fake-control-plane.js';

function definition(upstreamUrl: string, revision: number, extra: { policies?: unknown[]; withEu?: boolean } = {}) {
  const api = (id: string, rev: number, policies: unknown[] = []) => ({
    id,
    name: id,
    basePath: `/${id}`,
    revision: rev,
    upstream: { targets: [{ url: upstreamUrl }] },
    policies: [{ policy: 'set-headers', config: { response: { set: { 'x-revision': String(rev) } } } }, ...policies],
    plans: [{ id: 'gold', security: { type: 'api-key' } }],
  });
  return {
    version: 1,
    apis: [api('orders', revision, extra.policies), ...(extra.withEu ? [api('eu', revision)] : [])],
  };
}

const app = (id: string, keys: string[], apis = ['orders']) => ({
  id,
  name: id,
  subscriptions: apis.map((api) => ({
    id: `${id}-${api}`,
    api,
    plan: 'gold',
    apiKeys: keys.map((k, i) => ({ id: `${id}-k${i}`, keyHash: hashApiKey(k) })),
  })),
});

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<{ cp: FakeControlPlane; upstream: TestUpstream; dir: string }> {
  const upstream = await startTestUpstream();
  const cp = await startFakeControlPlane();
  cp.definitionDeltas = true;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gh-def-delta-'));
  cleanups.push(
    () => upstream.close(),
    () => cp.close(),
    () => rm(dir, { recursive: true, force: true }),
  );
  cp.deploy(definition(upstream.url, 1));
  cp.upsertApplication(app('kept', ['kept-key-000000001']));
  cp.upsertApplication(app('revoked', ['revoked-key-0000001']));
  return { cp, upstream, dir };
}

async function gatewayFor(cp: FakeControlPlane, dir: string): Promise<HybridGateway> {
  const gw = await startHybridGateway({
    controlPlaneUrl: cp.url,
    token: cp.token,
    backupDir: dir,
    host: '127.0.0.1',
    port: 0,
    adminPort: 0,
    logger: silentLogger(),
    accessLog: 'off',
  });
  cleanups.push(() => gw.close());
  return gw;
}

async function until(probe: () => Promise<boolean> | boolean, label: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const call = async (gw: HybridGateway, p: string, key?: string) => {
  const res = await fetch(gw.url + p, { headers: key ? { 'x-api-key': key } : {} });
  await res.arrayBuffer();
  return { status: res.status, revision: res.headers.get('x-revision') };
};

describe('definition deltas (protocol 4)', () => {
  it('compiles the new definition, keeps the credential index (a key valid before still works) and applies a revocation in the same delta', async () => {
    const { cp, upstream, dir } = await setup();
    const gw = await gatewayFor(cp, dir);
    expect(await call(gw, '/orders/x', 'kept-key-000000001')).toEqual({ status: 200, revision: '1' });
    expect((await call(gw, '/orders/x', 'revoked-key-0000001')).status).toBe(200);
    const index = gw.current()?.credentials;

    // One sync sees both: the deploy and the revocation happen before the gateway asks.
    cp.deploy(definition(upstream.url, 2));
    cp.upsertApplication(app('revoked', []));
    await until(async () => (await call(gw, '/orders/x', 'kept-key-000000001')).revision === '2', 'revision 2');
    expect(cp.syncAnswers).toContain('definition');
    expect(cp.syncProtocols.at(-1)).toBe('4, 3, 2');
    expect(await call(gw, '/orders/x', 'kept-key-000000001')).toEqual({ status: 200, revision: '2' });
    expect((await call(gw, '/orders/x', 'revoked-key-0000001')).status).toBe(401);
    // A new compiled version around the same (patched) index: no reindex of the keys.
    expect(gw.current()?.credentials).toBe(index);
    expect(gw.current()?.keyCount).toBe(1);

    // Restarted from the backup (snapshot + journaled definition delta): the same config.
    await gw.close();
    await cp.stop();
    const restarted = await gatewayFor(cp, dir);
    expect(await call(restarted, '/orders/x', 'kept-key-000000001')).toEqual({ status: 200, revision: '2' });
    expect((await call(restarted, '/orders/x', 'revoked-key-0000001')).status).toBe(401);
  });

  it('an API entering the shard brings its subscribers; leaving, they go', async () => {
    const { cp, upstream, dir } = await setup();
    const gw = await gatewayFor(cp, dir);
    expect((await call(gw, '/eu/x', 'eu-key-00000000001')).status).toBe(404);

    cp.deploy(definition(upstream.url, 2, { withEu: true }));
    cp.upsertApplication(app('eu-app', ['eu-key-00000000001'], ['eu']));
    await until(async () => (await call(gw, '/eu/x', 'eu-key-00000000001')).status === 200, 'eu key accepted');
    expect(cp.syncAnswers).toContain('definition');

    cp.deploy(definition(upstream.url, 3));
    cp.deleteApplication('eu-app');
    await until(async () => (await call(gw, '/orders/x')).revision === '3', 'revision 3');
    expect((await call(gw, '/eu/x', 'eu-key-00000000001')).status).toBe(404);
    expect(gw.current()?.keyCount).toBe(2);
    // One snapshot, at first contact; both deploys came as definition deltas.
    expect(cp.syncAnswers.filter((kind) => kind === 'snapshot')).toHaveLength(1);
  });

  it('a refused definition keeps the served one and still applies the credential changes, across a restart', async () => {
    const { cp, upstream, dir } = await setup();
    const gw = await gatewayFor(cp, dir);
    cp.deploy(definition(upstream.url, 2, { policies: [{ policy: 'no-such-policy', config: {} }] }));
    cp.upsertApplication(app('revoked', []));
    await until(async () => (await call(gw, '/orders/x', 'revoked-key-0000001')).status === 401, 'revocation');
    expect(await call(gw, '/orders/x', 'kept-key-000000001')).toEqual({ status: 200, revision: '1' });
    expect(
      gw.hybrid
        .status()
        .errors.map((e) => e.message)
        .join('\n'),
    ).toMatch(/config definition c:\d+: definition refused .*no-such-policy.*; its credentials are applied/);

    // Later credential deltas (for the refused definition) still apply; the backup journals the refusal.
    cp.upsertApplication(app('late', ['late-key-000000001']));
    await until(async () => (await call(gw, '/orders/x', 'late-key-000000001')).status === 200, 'late key');
    await gw.close();
    await cp.stop();
    const restarted = await gatewayFor(cp, dir);
    expect(await call(restarted, '/orders/x', 'kept-key-000000001')).toEqual({ status: 200, revision: '1' });
    expect((await call(restarted, '/orders/x', 'revoked-key-0000001')).status).toBe(401);
    expect((await call(restarted, '/orders/x', 'late-key-000000001')).status).toBe(200);

    // The next good definition replaces the served one (the index rebuilt once, from the whole document).
    await cp.start();
    cp.deploy(definition(upstream.url, 3));
    await until(async () => (await call(restarted, '/orders/x')).revision === '3', 'revision 3', 8000);
    expect((await call(restarted, '/orders/x', 'late-key-000000001')).status).toBe(200);
    expect((await call(restarted, '/orders/x', 'revoked-key-0000001')).status).toBe(401);
  });
});
