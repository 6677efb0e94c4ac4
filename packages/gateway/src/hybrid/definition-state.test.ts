/**
 * Definition deltas in the held config and the backup (protocol 4): which definition is served, and
 * how a refused one is journaled so a restart from the backup serves the same config.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DefinitionMessage, DeltaMessage, SnapshotMessage } from '@gatehouse/config';
import { afterEach, describe, expect, it } from 'vitest';
import { BackupStore } from './backup.js';
import {
  credentialPatch,
  definitionBehind,
  deltaMismatch,
  fromSnapshot,
  messagesOf,
  replay,
  withCredentialsOf,
  withDefinition,
  withDelta,
} from './document-state.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const sig = { alg: 'Ed25519' as const, keyId: 'k1', value: 'x' };
const bound = { protocol: 4, environment: 'e', gateway: 'g', issuedAt: '2026-12-01T00:00:00Z', signatures: [sig] };
const digests = { digest: `sha256:${'0'.repeat(64)}` };
const api = (id: string, rev = 1) => ({ id, revision: rev, plans: [{ id: 'gold' }] });
const sub = (api: string) => ({ api, plan: 'gold', apiKeys: [{ keyHash: `h-${api}` }] });
const snapshot: SnapshotMessage = {
  kind: 'snapshot',
  ...bound,
  ...digests,
  cursor: 'c:1',
  definitionVersion: 'd1',
  document: {
    version: 1,
    apis: [api('orders')],
    applications: [{ id: 'a', name: 'A', subscriptions: [sub('orders')] }],
  },
};
const definition = (
  from: string,
  to: string,
  version: string,
  apis: unknown[],
  upsert: unknown[] = [],
  del: string[] = [],
): DefinitionMessage => ({
  kind: 'definition',
  ...bound,
  ...digests,
  definitionDigest: digests.digest,
  cursor: to,
  fromCursor: from,
  definitionVersion: version,
  definition: { version: 1, apis },
  applications: { upsert: upsert as never, delete: del },
});
const delta = (
  from: string,
  to: string,
  version: string,
  upsert: unknown[] = [],
  del: string[] = [],
): DeltaMessage => ({
  kind: 'delta',
  ...bound,
  ...digests,
  cursor: to,
  fromCursor: from,
  definitionVersion: version,
  applications: { upsert: upsert as never, delete: del },
});

describe('held config with definition deltas', () => {
  it('serves an applied definition delta, keeping the applications it does not name', () => {
    const d2 = definition(
      'c:1',
      'c:2',
      'd2',
      [api('orders', 2), api('eu')],
      [{ id: 'b', name: 'B', subscriptions: [sub('eu')] }],
    );
    const held = withDefinition(fromSnapshot(snapshot), d2, true);
    expect(definitionBehind(held)).toBe(false);
    expect(held.document).toEqual({
      version: 1,
      apis: [api('orders', 2), api('eu')],
      applications: [
        { id: 'a', name: 'A', subscriptions: [sub('orders')] },
        { id: 'b', name: 'B', subscriptions: [sub('eu')] },
      ],
    });
    // Credential deltas that follow are for the new definition; a definition delta only needs the cursor.
    expect(deltaMismatch(held, delta('c:2', 'c:3', 'd1'))).toMatch(/holds d2/);
    expect(deltaMismatch(held, delta('c:2', 'c:3', 'd2'))).toBeUndefined();
    expect(deltaMismatch(held, definition('c:1', 'c:3', 'd3', []))).toMatch(/from cursor c:1/);
    const stored = messagesOf(held);
    expect(stored.messages).toEqual([snapshot, d2]);
    expect(stored.refused.size).toBe(0);
  });

  it('a refused definition delta: the served definition stays, its applications are restricted to it', () => {
    const d2 = definition(
      'c:1',
      'c:2',
      'd2',
      [api('orders', 2), api('eu')],
      [{ id: 'a', name: 'A', subscriptions: [sub('orders'), sub('eu')] }],
    );
    let held = withDefinition(fromSnapshot(snapshot), d2, false);
    expect(definitionBehind(held)).toBe(true);
    expect(credentialPatch(held, d2).upsert).toEqual([{ id: 'a', name: 'A', subscriptions: [sub('orders')] }]);
    expect(held.document.apis).toEqual([api('orders')]);
    held = withDelta(held, delta('c:2', 'c:3', 'd2', [], ['a']));
    expect(held.document.applications).toEqual([]);
    const stored = messagesOf(held);
    expect([...stored.refused]).toEqual([d2]);
    const again = replay(stored.messages, stored.refused);
    expect(again.ok && again.held.document).toEqual(held.document);
    // Without the refusal noted, the replay would serve d2's definition.
    const wrong = replay(stored.messages);
    expect(wrong.ok && wrong.held.document.apis).toEqual([api('orders', 2), api('eu')]);
  });

  it('a snapshot refused after a definition delta was applied: the definition delta heads the backup', () => {
    const d2 = definition('c:1', 'c:2', 'd2', [api('orders', 2)]);
    const applied = withDefinition(fromSnapshot(snapshot), d2, true);
    const s3: SnapshotMessage = { ...snapshot, cursor: 'c:3', definitionVersion: 'd3' };
    const held = withCredentialsOf(applied, s3);
    const stored = messagesOf(held);
    expect(stored.messages).toEqual([d2, s3]);
    const again = replay(stored.messages, stored.refused);
    expect(again.ok && again.held.document.apis).toEqual([api('orders', 2)]);
    expect(again.ok && again.held.cursor).toBe('c:3');
  });
});

describe('backup journal with definition deltas', () => {
  it('journals a refused definition delta as refused, in the journal and in a rewritten file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gh-def-state-'));
    dirs.push(dir);
    const store = new BackupStore(dir, 'token-one');
    const d2 = definition('c:1', 'c:2', 'd2', [api('orders', 2)]);
    const d3 = delta('c:2', 'c:3', 'd2');
    await store.save([snapshot]);
    await store.save([snapshot, d2], new Set([d2]));
    await store.save([snapshot, d2, d3], new Set([d2]));
    expect(store.rewrites).toBe(1);
    const loaded = await new BackupStore(dir, 'token-one').load();
    expect(loaded.ok && loaded.content.messages).toEqual([snapshot, d2, d3]);
    expect(loaded.ok && loaded.content.refused).toEqual([1]);

    const fresh = new BackupStore(dir, 'token-one');
    await fresh.save([snapshot, d2, d3], new Set([d2]));
    expect(fresh.rewrites).toBe(1);
    const rewritten = await fresh.load();
    expect(rewritten.ok && rewritten.content.refused).toEqual([1]);
  });
});
