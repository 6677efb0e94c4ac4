/**
 * A hybrid snapshot carrying a large inline OpenAPI document (validated, and mocked by a second API):
 * the document is prepared off the event loop while the version being served keeps answering, and the
 * swap is atomic. Before, the snapshot was compiled synchronously and traffic froze for seconds.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  digestOf,
  keyIdOf,
  keyRing,
  PROTOCOL_VERSION,
  type SyncMessage,
  signMessage,
  trustedKey,
  type UnsignedMessage,
} from '@gatehouse/config';
import { canonicalJson, silentLogger } from '@gatehouse/core';
import { syntheticOpenApi } from '@gatehouse/policies/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestUpstream, type TestUpstream } from '../testing/harness.js';
import { BackupStore } from './backup.js';
import { type HybridGateway, startHybridGateway } from './hybrid-gateway.js';
import { type FakeControlPlane, startFakeControlPlane } from './test-support/fake-control-plane.js';
import { LARGE_ANSWER_BYTES, receivedText, receiveSync, receiveSyncAnswer } from './verify-off-thread.js';

function definition(upstreamUrl: string, generation: number, openapi?: Record<string, unknown>) {
  const headers = { policy: 'set-headers', config: { response: { set: { 'x-generation': String(generation) } } } };
  return {
    version: 1,
    apis: [
      {
        id: 'large',
        name: 'Large',
        basePath: '/api',
        upstream: { targets: [{ url: upstreamUrl }] },
        ...(openapi ? { openapi } : {}),
        policies: [headers, ...(openapi ? [{ policy: 'openapi-validation', config: {} }] : [])],
        plans: [{ id: 'open', security: { type: 'keyless' } }],
      },
      ...(openapi
        ? [
            {
              id: 'mocked',
              name: 'Mocked',
              basePath: '/mock',
              upstream: { targets: [{ url: upstreamUrl }], mock: {} },
              openapi,
              plans: [{ id: 'open', security: { type: 'keyless' } }],
            },
          ]
        : []),
    ],
  };
}

describe('hybrid snapshot with a large inline OpenAPI document', () => {
  let upstream: TestUpstream;
  let cp: FakeControlPlane;
  let dir: string;
  let gateway: HybridGateway;

  beforeAll(async () => {
    upstream = await startTestUpstream();
    cp = await startFakeControlPlane();
    dir = await mkdtemp(path.join(os.tmpdir(), 'gh-large-snapshot-'));
    cp.deploy(definition(upstream.url, 1));
    gateway = await startHybridGateway({
      controlPlaneUrl: cp.url,
      token: cp.token,
      backupDir: dir,
      backup: false,
      host: '127.0.0.1',
      port: 0,
      adminPort: 0,
      pollIntervalMs: 3_600_000,
      logger: silentLogger(),
      accessLog: 'off',
    });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await cp?.close();
    await upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps answering from the old version while the snapshot is prepared, then swaps at once', async () => {
    const probe = `${gateway.url}/api/v1/resource_1?limit=500`;
    expect((await fetch(probe)).headers.get('x-generation')).toBe('1');

    cp.deploy(definition(upstream.url, 2, syntheticOpenApi({ paths: 100, schemas: 160 })));
    let syncing = true;
    const sync = gateway.hybrid.syncNow().finally(() => {
      syncing = false;
    });
    const seen: Array<{ generation: string | null; status: number; duringSync: boolean }> = [];
    let after = 0;
    while (syncing || after++ < 3) {
      const res = await fetch(probe);
      await res.arrayBuffer();
      seen.push({ generation: res.headers.get('x-generation'), status: res.status, duringSync: syncing });
    }
    await sync;
    const errors = gateway.hybrid.status().errors.map((e) => e.message);

    // Many answers while the snapshot was prepared (a synchronous compile let through only the few
    // that arrive while the snapshot is still on the wire).
    expect(seen.filter((s) => s.duringSync && s.generation === '1').length).toBeGreaterThanOrEqual(30);
    expect(errors).toEqual([]);
    // Atomic: after the first answer of generation 2 (its validation refuses limit=500), none of generation 1.
    const first = seen.findIndex((s) => s.generation === '2');
    expect(first).toBeGreaterThan(0);
    expect(seen.slice(first).every((s) => s.generation === '2' && s.status === 400)).toBe(true);
    // Mock mode of the same inline document, prepared the same way.
    const mocked = await fetch(`${gateway.url}/mock/v1/resource_1`);
    expect(mocked.status).toBe(200);
    expect(mocked.headers.get('x-gatehouse-mock')).toBe('true');
  }, 120_000);
});

describe('receiving a large sync answer', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keyId = keyIdOf(publicKey);
  const ring = keyRing([trustedKey(publicKeyPem)]);
  const message = signMessage(
    {
      protocol: PROTOCOL_VERSION,
      kind: 'snapshot',
      environment: 'env-1',
      gateway: 'gw-1',
      cursor: 'c:7',
      issuedAt: new Date().toISOString(),
      keys: [{ keyId, alg: 'Ed25519', publicKeyPem }],
      definitionVersion: 'v1',
      document: definition('http://127.0.0.1:9', 1, syntheticOpenApi({ paths: 100, schemas: 160 })),
    } as unknown as UnsignedMessage<SyncMessage>,
    [{ keyId, privateKey }],
  );
  const body = () => new Uint8Array(Buffer.from(JSON.stringify(message)));

  /** Event-loop turns that pass while `work` runs (none when it blocks from start to end). */
  async function turnsDuring<T>(work: () => Promise<T>): Promise<{ turns: number; result: T }> {
    let turns = 0;
    let running = true;
    const spin = () => {
      turns++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    const result = await work();
    running = false;
    return { turns, result };
  }

  it('parses and verifies it off the event loop: the loop keeps turning, the message comes back whole', async () => {
    expect(body().byteLength).toBeGreaterThan(LARGE_ANSWER_BYTES);
    // Baseline, the synchronous path: not one turn while the whole answer is parsed and verified.
    const blocking = await turnsDuring(async () => receiveSync(body(), ring));
    expect(blocking.turns).toBe(0);
    const { turns, result } = await turnsDuring(() => receiveSyncAnswer(body(), ring));
    expect(turns).toBeGreaterThan(20);
    expect(result).toEqual({ ok: true, message, verification: { ok: true, keyId } });

    // The backup writes the text as received (not stringified again) and reads back the same message.
    if (!result.ok) return;
    expect(receivedText(result.message)).toBeDefined();
    const backupDir = await mkdtemp(path.join(os.tmpdir(), 'gh-large-backup-'));
    try {
      const store = new BackupStore(backupDir, 'token');
      await store.save([result.message as never]);
      const loaded = await store.load();
      expect(loaded.ok && loaded.content.messages).toEqual([message]);
    } finally {
      await rm(backupDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses a tampered one through the worker, as the synchronous path does', async () => {
    const tampered = structuredClone(message) as SyncMessage & { document: { apis: Array<{ basePath: string }> } };
    tampered.document.apis[0]!.basePath = '/elsewhere';
    const received = await receiveSyncAnswer(new Uint8Array(Buffer.from(JSON.stringify(tampered))), ring);
    expect(received).toMatchObject({
      ok: true,
      verification: {
        ok: false,
        reason: 'the document received does not match the signed digest (tampered or mixed up)',
      },
    });
    // A forged digest for the tampered document leaves the signed envelope invalid.
    const forged = { ...tampered, digest: digestOf(canonicalJson(tampered.document)) };
    expect(await receiveSyncAnswer(new Uint8Array(Buffer.from(JSON.stringify(forged))), ring)).toMatchObject({
      ok: true,
      verification: { ok: false, reason: `invalid signature by key "${keyId}"` },
    });
    const cut = body().subarray(0, LARGE_ANSWER_BYTES + 10);
    expect(await receiveSyncAnswer(cut, ring)).toMatchObject({ ok: false, unreadable: true });
  }, 60_000);
});
