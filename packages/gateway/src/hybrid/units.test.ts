import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type DeltaMessage, keyRing, type SnapshotMessage, trustedKey } from '@gatehouse/config';
import { afterEach, describe, expect, it } from 'vitest';
import { BackupStore, decrypt, encrypt } from './backup.js';
import { fromSnapshot, messagesOf, replay, withCredentialsOf, withDelta } from './document-state.js';
import { anonymizeIp } from './ip-anonymization.js';
import { DiskSpool } from './spool.js';
import { SseParser } from './sse.js';
import { initialTrust, readTrustState, writeTrustState } from './trust-state.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gh-hybrid-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const sig = { alg: 'Ed25519' as const, keyId: 'k1', value: 'x' };
const bound = { protocol: 2, environment: 'e', gateway: 'g', issuedAt: '2026-12-01T00:00:00Z', signatures: [sig] };
const snapshot: SnapshotMessage = {
  kind: 'snapshot',
  ...bound,
  cursor: 'c:1',
  definitionVersion: 'd1',
  document: {
    version: 1,
    apis: [],
    applications: [
      { id: 'a', name: 'A', subscriptions: [] },
      { id: 'b', name: 'B', subscriptions: [] },
    ],
  },
};
const delta = (from: string, to: string, upsert: Array<Record<string, unknown>>, del: string[] = []): DeltaMessage => ({
  kind: 'delta',
  ...bound,
  cursor: to,
  fromCursor: from,
  definitionVersion: 'd1',
  applications: { upsert: upsert as never, delete: del },
});

describe('ip anonymization', () => {
  it('truncate zeroes the last IPv4 octet and the last 80 bits of IPv6', () => {
    expect(anonymizeIp('203.0.113.77', 'truncate')).toBe('203.0.113.0');
    expect(anonymizeIp('2001:db8:abcd:12:1:2:3:4', 'truncate')).toBe('2001:db8:abcd::');
    expect(anonymizeIp('2001:db8::1', 'truncate')).toBe('2001:db8:0::');
    expect(anonymizeIp('::1', 'truncate')).toBe('0:0:0::');
    expect(anonymizeIp('not-an-ip', 'truncate')).toBe('');
    expect(anonymizeIp('203.0.113.77', 'none')).toBe('203.0.113.77');
  });
});

// Backoff and jitter: jitter.test.ts.

describe('SSE parser', () => {
  it('parses events split across chunks and ignores comments', () => {
    const events: Array<{ event: string; data: string }> = [];
    const parser = new SseParser((e) => events.push(e));
    parser.feed(': ping\n\nevent: chan');
    parser.feed('ged\ndata: {"cursor":"c:5"}\r');
    parser.feed('\n\r\n');
    expect(events).toEqual([{ event: 'changed', data: '{"cursor":"c:5"}' }]);
  });
});

describe('document state', () => {
  it('applies upserts in place, appends new applications and removes deletes', () => {
    let held = fromSnapshot(snapshot);
    held = withDelta(
      held,
      delta(
        'c:1',
        'c:2',
        [
          { id: 'a', name: 'A2', subscriptions: [] },
          { id: 'c', name: 'C', subscriptions: [] },
        ],
        ['b'],
      ),
    );
    expect((held.document.applications as Array<{ id: string; name: string }>).map((a) => `${a.id}=${a.name}`)).toEqual(
      ['a=A2', 'c=C'],
    );
    expect(held.cursor).toBe('c:2');
    // The signed snapshot itself is untouched (it is stored and re-verified later).
    expect((snapshot.document.applications as unknown[]).length).toBe(2);
  });

  it('replays a chain and refuses a broken one', () => {
    expect(replay([snapshot, delta('c:1', 'c:2', [])]).ok).toBe(true);
    expect(replay([snapshot, delta('c:5', 'c:6', [])])).toEqual({
      ok: false,
      reason: expect.stringMatching(/from cursor c:5/),
    });
    expect(replay([delta('c:1', 'c:2', [])]).ok).toBe(false);
  });

  it('takes the credentials of a snapshot whose definition is refused, onto the definition served', () => {
    const served = {
      ...snapshot,
      document: {
        version: 1,
        apis: [{ id: 'orders', plans: [{ id: 'gold' }] }],
        applications: [
          {
            id: 'a',
            name: 'A',
            subscriptions: [{ api: 'orders', plan: 'gold', apiKeys: [{ keyHash: 'h1' }, { keyHash: 'h2' }] }],
          },
        ],
      },
    };
    const refused: SnapshotMessage = {
      ...snapshot,
      cursor: 'c:5',
      definitionVersion: 'd2',
      document: {
        version: 1,
        apis: [
          { id: 'orders', plans: [{ id: 'gold' }] },
          { id: 'new', plans: [{ id: 'free' }], bad: true },
        ],
        applications: [
          {
            id: 'a',
            name: 'A',
            subscriptions: [
              { api: 'orders', plan: 'gold', apiKeys: [{ keyHash: 'h2' }] },
              { api: 'new', plan: 'free' },
            ],
          },
        ],
      },
    };
    let held = withCredentialsOf(fromSnapshot(served), refused);
    expect(held.cursor).toBe('c:5');
    expect((held.document.apis as unknown[]).length).toBe(1);
    // h1 revoked; the subscription to an API this gateway does not serve is left out.
    expect(held.document.applications).toEqual([
      { id: 'a', name: 'A', subscriptions: [{ api: 'orders', plan: 'gold', apiKeys: [{ keyHash: 'h2' }] }] },
    ]);
    // Later deltas are for the refused snapshot's definition, and apply to its credentials.
    held = withDelta(held, { ...delta('c:5', 'c:6', [], ['a']), definitionVersion: 'd2' });
    expect(held.document.applications).toEqual([]);
    const stored = messagesOf(held);
    const again = replay(stored.messages, stored.refused);
    expect(again.ok && again.held.document).toEqual(held.document);
  });
});

describe('backup store', () => {
  it('round-trips encrypted, and refuses tampered, truncated or other-token files', async () => {
    const dir = await tempDir();
    const store = new BackupStore(dir, 'token-one');
    await store.save([snapshot]);
    const raw = await readFile(store.file);
    expect(raw.includes(Buffer.from('definitionVersion'))).toBe(false);
    const loaded = await store.load();
    expect(loaded.ok && loaded.content.messages[0]).toEqual(snapshot);
    expect((await new BackupStore(dir, 'token-two').load()).ok).toBe(false);

    const flipped = Buffer.from(raw);
    flipped[flipped.length - 5]! ^= 1;
    await writeFile(store.file, flipped);
    expect(await store.load()).toMatchObject({ ok: false, reason: 'unreadable' });
    await writeFile(store.file, raw.subarray(0, raw.length - 10));
    expect(await store.load()).toMatchObject({ ok: false, reason: 'unreadable' });
    expect(() => decrypt(encrypt(Buffer.from('x'), 'a'), 'b')).toThrow();
    // No temp files left behind by the atomic writes.
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('appends deltas to a journal, rewrites only on a new snapshot, and restores snapshot + deltas', async () => {
    const dir = await tempDir();
    const store = new BackupStore(dir, 'token-one');
    const d1 = delta('c:5', 'c:6', [{ id: 'a' }]);
    const d2 = delta('c:6', 'c:7', [], ['a']);
    await store.save([snapshot]);
    const snapshotFile = await readFile(store.file);
    await store.save([snapshot, d1]);
    await store.save([snapshot, d1, d2]);
    // The snapshot file is as it was: the deltas went to the journal.
    expect(store.rewrites).toBe(1);
    expect((await readFile(store.file)).equals(snapshotFile)).toBe(true);
    const journal = await readFile(store.journalFile);
    expect(journal.length).toBeGreaterThan(0);
    expect(journal.includes(Buffer.from('c:7'))).toBe(false);
    const loaded = await new BackupStore(dir, 'token-one').load();
    expect(loaded.ok && loaded.content.messages).toEqual([snapshot, d1, d2]);

    // A crash mid-append: the cut record is ignored, what precedes it stands.
    await writeFile(store.journalFile, journal.subarray(0, journal.length - 7));
    const cut = await store.load();
    expect(cut.ok && cut.content.messages).toEqual([snapshot, d1]);
    // A tampered record refuses the backup, as a tampered snapshot file does.
    const flipped = Buffer.from(journal);
    flipped[flipped.length - 3]! ^= 1;
    await writeFile(store.journalFile, flipped);
    expect(await store.load()).toMatchObject({ ok: false, reason: 'unreadable' });

    // A new snapshot rewrites the file and empties the journal; records left from the previous
    // snapshot file (a crash before the journal was emptied) are not replayed onto the new one.
    const next = { ...snapshot, cursor: 'c:8' };
    const fresh = new BackupStore(dir, 'token-one');
    await fresh.save([next]);
    expect((await readFile(fresh.journalFile)).length).toBe(0);
    await writeFile(fresh.journalFile, journal);
    const stale = await fresh.load();
    expect(stale.ok && stale.content.messages).toEqual([next]);
    // A store that does not know what is on disk (a restart) rewrites before appending.
    const restarted = new BackupStore(dir, 'token-one');
    await restarted.save([next, d1]);
    expect(restarted.rewrites).toBe(1);
  });
});

describe('disk spool', () => {
  it('keeps batches in order across reopen and drops the oldest on overflow', async () => {
    const dir = await tempDir();
    let dropped = 0;
    const batch = (n: number) => Array.from({ length: 10 }, (_, i) => ({ id: `${n}-${i}`, pad: 'x'.repeat(40) }));
    const size = Buffer.byteLength(JSON.stringify(batch(1)));
    const spool = new DiskSpool(dir, size * 3 + 10, (n) => {
      dropped += n;
    });
    await spool.open();
    for (let i = 1; i <= 4; i++) await spool.push(batch(i));
    expect(dropped).toBe(10);
    expect(spool.batches).toBe(3);

    const reopened = new DiskSpool(dir, size * 3 + 10, () => {});
    await reopened.open();
    expect(reopened.records).toBe(30);
    const oldest = await reopened.oldest();
    expect((oldest!.records[0] as { id: string }).id).toBe('2-0');
    await reopened.remove(oldest!.name);
    expect(((await reopened.oldest())!.records[0] as { id: string }).id).toBe('3-0');
  });
});

describe('trust state', () => {
  const pem = () => generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

  it('round-trips keys, binding and position; an operator pin keeps it only when it grew from that key', async () => {
    const dir = await tempDir();
    const k1 = trustedKey(pem());
    const k2 = trustedKey(pem(), Date.parse('2026-12-02T00:00:00Z'));
    const state = {
      ring: keyRing([k1, k2]),
      anchor: k1.keyId,
      binding: { environment: 'e', gateway: 'g' },
      position: { cursor: 'c:7', issuedAt: '2026-12-01T00:00:00.000Z' },
    };
    await writeTrustState(dir, state);
    const read = await readTrustState(dir);
    expect([...read!.ring.keys()]).toEqual([k1.keyId, k2.keyId]);
    expect(read!.ring.get(k2.keyId)!.notAfter).toBe(k2.notAfter);
    expect(read).toMatchObject({ anchor: k1.keyId, binding: state.binding, position: state.position });

    expect(initialTrust(read, k1.publicKeyPem)).toMatchObject({ binding: state.binding, position: state.position });
    expect(initialTrust(read, undefined)).toBe(read);
    // Another pinned key: another control plane; nothing of the old one carries over.
    const other = pem();
    const fresh = initialTrust(read, other)!;
    expect([...fresh.ring.keys()]).toEqual([trustedKey(other).keyId]);
    expect(fresh.binding).toBeUndefined();
    expect(fresh.position).toBeUndefined();
  });

  it('reads the single key pinned by earlier versions', async () => {
    const dir = await tempDir();
    const key = pem();
    await writeFile(path.join(dir, 'control-plane-key.json'), JSON.stringify({ keyId: 'k1', publicKeyPem: key }));
    const read = await readTrustState(dir);
    expect([...read!.ring.keys()]).toEqual([trustedKey(key).keyId]);
  });
});
