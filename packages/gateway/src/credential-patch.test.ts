/**
 * Credential deltas applied without compiling the config again: in one process, and on every worker
 * of a node (including a worker started after the delta). Real listeners on loopback.
 */
import http from 'node:http';
import { hashApiKey, silentLogger } from '@gatehouse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialIndex } from './credentials.js';
import { type RunningGateway, startGateway } from './gateway.js';
import { simpleDocument, startTestNode, startTestUpstream, type TestUpstream } from './testing/harness.js';
import type { GatewayNode } from './workers/node-gateway.js';

const app = (id: string, keys: string[], extra: Record<string, unknown> = {}) => ({
  id,
  name: id.toUpperCase(),
  subscriptions: [{ api: 'test', plan: 'gold', apiKeys: keys.map((k) => ({ keyHash: hashApiKey(k) })) }],
  ...extra,
});

const document = (upstreamUrl: string) =>
  simpleDocument(
    upstreamUrl,
    { plans: [{ id: 'gold', security: { type: 'api-key' } }] },
    { applications: [app('acme', ['acme-key-000001', 'acme-key-000002']), app('beta', ['beta-key-000001'])] },
  );

/** One request on its own connection (so a node's workers all get some). */
function status(port: number, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/test/x', agent: false, headers: { 'x-api-key': key } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const statuses = async (port: number, key: string, n: number) =>
  new Set(await Promise.all(Array.from({ length: n }, () => status(port, key))));

let upstream: TestUpstream;
beforeAll(async () => {
  upstream = await startTestUpstream();
});
afterAll(async () => {
  await upstream.close();
});

describe('credential index patch', () => {
  it('replaces and removes whole applications, and finds conflicts with the applications left in place', () => {
    const index = new CredentialIndex([
      app('acme', ['k-acme-1', 'k-acme-2']) as never,
      app('beta', ['k-beta-1']) as never,
    ]);
    const lookup = index.forScheme('test', ['gold']);
    expect(index.keyCount).toBe(3);
    index.patch({ upsert: [app('acme', ['k-acme-2', 'k-acme-3']) as never], delete: ['beta'] });
    expect(lookup.apiKey(hashApiKey('k-acme-1'))).toBeUndefined();
    expect(lookup.apiKey(hashApiKey('k-acme-3'))?.application.id).toBe('acme');
    expect(lookup.apiKey(hashApiKey('k-beta-1'))).toBeUndefined();
    expect(index.keyCount).toBe(2);
    // A key moving from one application to another in the same patch is no conflict; taking one is.
    expect(index.conflicts({ upsert: [app('gamma', ['k-acme-2']) as never], delete: ['acme'] })).toEqual([]);
    expect(index.conflicts({ upsert: [app('gamma', ['k-acme-2']) as never], delete: [] })).toEqual([
      expect.objectContaining({ message: 'the same key is already used at application "acme"' }),
    ]);
  });
});

describe('credential delta on a running gateway', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway({
      document: document(upstream.url),
      host: '127.0.0.1',
      port: 0,
      admin: false,
      logger: silentLogger(),
      accessLog: 'off',
    });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('revokes and adds keys without compiling the config again', async () => {
    const compiled = gateway.current();
    const compiles = async () =>
      await gateway.metrics.registry.getSingleMetricAsString('gatehouse_config_reloads_total');
    const before = await compiles();
    expect(await status(gateway.port, 'acme-key-000001')).toBe(200);

    const revoked = gateway.applyCredentials({ upsert: [app('acme', ['acme-key-000002']) as never], delete: [] });
    expect(revoked).toMatchObject({ ok: true, version: compiled?.version });
    expect(await status(gateway.port, 'acme-key-000001')).toBe(401);
    expect(await status(gateway.port, 'acme-key-000002')).toBe(200);

    expect(
      gateway.applyCredentials({ upsert: [app('gamma', ['gamma-key-00001']) as never], delete: ['beta'] }).ok,
    ).toBe(true);
    expect(await status(gateway.port, 'gamma-key-00001')).toBe(200);
    expect(await status(gateway.port, 'beta-key-000001')).toBe(401);

    // The same compiled version serves throughout, and no compile was counted.
    expect(gateway.current()).toBe(compiled);
    expect(compiled?.keyCount).toBe(2);
    expect(await compiles()).toBe(before);
  });

  it('exposes no list of applications that a delta would leave stale (the credential index is the one source)', () => {
    const compiled = gateway.current()!;
    // @ts-expect-error: not part of the compiled config's document
    const listed: unknown = compiled.document.applications;
    expect(listed).toBeUndefined();
    expect(compiled.document.apis.map((api) => api.id)).toEqual(['test']);
  });

  it('refuses a delta the whole document would refuse, and changes nothing', async () => {
    const refused = gateway.applyCredentials({
      upsert: [
        app('delta', ['gamma-key-00001']) as never,
        { id: 'omega', name: 'O', subscriptions: [{ api: 'test', plan: 'platinum' }] } as never,
        { id: 'Bad Id', name: '' } as never,
      ],
      delete: [],
    });
    expect(refused.ok).toBe(false);
    expect(refused.problems.map((p) => p.message).join('\n')).toMatch(/already used at application "gamma"/);
    expect(refused.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['applications.upsert[1].subscriptions[0].plan', 'applications.upsert[2].id']),
    );
    expect(await status(gateway.port, 'gamma-key-00001')).toBe(200);
  });
});

describe('credential delta on a node of two workers', () => {
  let node: GatewayNode;
  beforeAll(async () => {
    node = await startTestNode(document(upstream.url));
  });
  afterAll(async () => {
    await node.close();
  });

  it('reaches every worker, and a worker started afterwards serves the patched credentials', async () => {
    expect(await statuses(node.port, 'acme-key-000001', 12)).toEqual(new Set([200]));
    const result = await node.applyCredentials({ upsert: [app('acme', ['acme-key-000002']) as never], delete: [] });
    expect(result.ok).toBe(true);
    expect(await statuses(node.port, 'acme-key-000001', 12)).toEqual(new Set([401]));

    const restarts = node.pool.restarts;
    await node.pool.kill(0);
    const deadline = Date.now() + 30_000;
    while (node.pool.size < 2 || node.pool.restarts === restarts) {
      if (Date.now() > deadline) throw new Error('worker not replaced');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await statuses(node.port, 'acme-key-000001', 12)).toEqual(new Set([401]));
    expect(await statuses(node.port, 'acme-key-000002', 12)).toEqual(new Set([200]));

    const refused = await node.applyCredentials({ upsert: [app('beta', ['acme-key-000002']) as never], delete: [] });
    expect(refused.ok).toBe(false);
    expect(await statuses(node.port, 'acme-key-000002', 12)).toEqual(new Set([200]));
  });
});
