/**
 * A hybrid node of two workers against the fake control plane: one control-plane connection (one
 * change stream, one instance in the heartbeats), one analytics spool fed by both workers, and a
 * deploy reaching every worker. Workers run the built code (dist), so this is a system test.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@gatehouse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HybridNode, startHybridNode } from '../hybrid/hybrid-gateway.js';
import { type FakeControlPlane, startFakeControlPlane } from '../hybrid/test-support/fake-control-plane.js';
import { startTestUpstream, type TestUpstream } from '../testing/harness.js';

function definition(upstreamUrl: string, revision: number) {
  return {
    version: 1,
    apis: [
      {
        id: 'open',
        name: 'Open',
        basePath: '/open',
        revision,
        upstream: { targets: [{ url: upstreamUrl }] },
        policies: [
          { policy: 'set-headers', config: { response: { set: { 'x-revision': String(revision) } } } },
          // Revision 2 raises the limit, so the deploy test sees answers from the upstream again.
          { policy: 'rate-limit', config: { limit: revision === 1 ? 10 : 1000, window: '1m' } },
        ],
        plans: [{ id: 'free', security: { type: 'keyless' } }],
      },
    ],
  };
}

function request(port: number, p: string): Promise<{ status: number; revision: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, revision: res.headers['x-revision'] as string }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a hybrid node with two workers (fake control plane)', () => {
  let upstream: TestUpstream;
  let cp: FakeControlPlane;
  let dir: string;
  let node: HybridNode;

  beforeAll(async () => {
    upstream = await startTestUpstream();
    cp = await startFakeControlPlane();
    cp.deploy(definition(upstream.url, 1));
    dir = await mkdtemp(path.join(os.tmpdir(), 'gh-hybrid-node-'));
    node = await startHybridNode({
      workers: 2,
      controlPlaneUrl: cp.url,
      token: cp.token,
      controlPlanePublicKey: cp.publicKeyPem,
      backupDir: dir,
      host: '127.0.0.1',
      port: 0,
      adminPort: 0,
      logger: silentLogger(),
      accessLog: 'off',
      analyticsIntervalMs: 100,
    });
  });
  afterAll(async () => {
    await node?.close();
    await cp?.close();
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps one control-plane connection and one analytics spool for the node', async () => {
    await expect.poll(() => cp.openStreams(), { timeout: 10_000 }).toBe(1);
    const answers = await Promise.all(Array.from({ length: 40 }, () => request(node.port, '/open/')));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(10);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(30);
    await node.hybrid.heartbeatNow();
    await node.hybrid.flushAnalytics();
    // Records of both workers reached the primary's one shipper: every request, once.
    await expect
      .poll(async () => {
        await node.hybrid.flushAnalytics();
        return cp.analytics.size;
      })
      .toBe(40);
    expect(cp.duplicates).toBe(0);
    expect(new Set(cp.heartbeats.map((h) => h.instanceId)).size).toBe(1);
    expect(cp.openStreams()).toBe(1);
    const perWorker = (await node.pool.workerMetrics()) as Array<
      Array<{ name: string; values: Array<{ value: number }> }>
    >;
    const served = perWorker.map((m) =>
      (m.find((x) => x.name === 'gatehouse_requests_total')?.values ?? []).reduce((sum, v) => sum + v.value, 0),
    );
    expect(served.every((n) => n > 0)).toBe(true);
  });

  it('fans a deploy out to every worker', async () => {
    cp.deploy(definition(upstream.url, 2));
    await expect.poll(() => node.current()?.version, { timeout: 10_000 }).not.toBe(undefined);
    await expect.poll(async () => (await request(node.port, '/open/')).revision, { timeout: 10_000 }).toBe('2');
    const answers = await Promise.all(Array.from({ length: 20 }, () => request(node.port, '/open/')));
    expect(new Set(answers.map((a) => a.revision))).toEqual(new Set(['2']));
    const metrics = await (await fetch(`${node.adminUrl}/metrics`)).text();
    expect(metrics.match(/^gatehouse_config_sync_total\{result="applied"\} /gm)).toHaveLength(1);
  });

  it('applies a definition delta (protocol 4) on every worker, from the whole document it rebuilds', async () => {
    cp.definitionDeltas = true;
    const before = cp.syncAnswers.length;
    cp.deploy(definition(upstream.url, 3));
    await expect.poll(async () => (await request(node.port, '/open/')).revision, { timeout: 10_000 }).toBe('3');
    expect(cp.syncAnswers.slice(before)).toContain('definition');
    const answers = await Promise.all(Array.from({ length: 20 }, () => request(node.port, '/open/')));
    expect(new Set(answers.map((a) => a.revision))).toEqual(new Set(['3']));
  });
});
