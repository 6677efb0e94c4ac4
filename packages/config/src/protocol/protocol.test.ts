import { generateKeyPairSync } from 'node:crypto';
import { canonicalJson } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import {
  acceptedProtocols,
  bindingMismatch,
  canonicalBytes,
  digestOf,
  followKeys,
  goesBackwards,
  ISSUE_TIME_TOLERANCE_MS,
  keyIdOf,
  keyRing,
  MIN_PROTOCOL_VERSION,
  negotiateProtocol,
  PROTOCOL_VERSION,
  parseSyncMessage,
  publishedKeys,
  type SigningKey,
  type SyncMessage,
  signMessage,
  trustedKey,
  type UnsignedMessage,
  verifyMessage,
} from './index.js';

function newKey(): SigningKey & { publicKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    keyId: keyIdOf(publicKey),
    privateKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const body = (over: Record<string, unknown> = {}) =>
  ({
    kind: 'snapshot',
    protocol: PROTOCOL_VERSION,
    environment: 'env-a',
    gateway: 'gw-1',
    cursor: 'c:10',
    issuedAt: '2026-12-01T10:00:00.000Z',
    definitionVersion: 'd1',
    document: { version: 1, apis: [], applications: [] },
    ...over,
  }) as unknown as UnsignedMessage;

const ringOf = (...keys: Array<{ publicKeyPem: string }>) => keyRing(keys.map((k) => trustedKey(k.publicKeyPem)));

describe('signMessage / verifyMessage', () => {
  const k1 = newKey();

  it('verifies the canonical bytes, whatever the key order, and refuses any change', () => {
    const signed = signMessage(body(), [k1]);
    expect(verifyMessage(signed, ringOf(k1))).toEqual({ ok: true, keyId: k1.keyId });
    // A different key order on the wire: the document first (its field exists on a snapshot).
    const reordered = JSON.parse(
      JSON.stringify({ document: (signed as { document?: unknown }).document, ...signed }),
    ) as SyncMessage;
    expect(verifyMessage(reordered, ringOf(k1)).ok).toBe(true);
    for (const tampered of [
      { ...signed, cursor: 'c:11' },
      { ...signed, environment: 'env-b' },
      { ...signed, issuedAt: '2026-12-01T10:00:01.000Z' },
      { ...signed, extra: 1 },
    ])
      expect(verifyMessage(tampered as SyncMessage, ringOf(k1))).toEqual({
        ok: false,
        reason: expect.stringMatching(/invalid signature/),
      });
  });

  it('refuses a message signed only by a key the ring does not hold', () => {
    const other = newKey();
    const result = verifyMessage(signMessage(body(), [other]), ringOf(k1));
    expect(result).toEqual({ ok: false, reason: expect.stringContaining(`trusts "${k1.keyId}"`) });
  });

  it('refuses an unsigned `unchanged` answer, and accepts a signed one', () => {
    const unchanged = { ...body({ kind: 'unchanged' }) } as Record<string, unknown>;
    delete unchanged.definitionVersion;
    delete unchanged.document;
    expect(parseSyncMessage(unchanged)).toEqual({ ok: false, reason: expect.stringMatching(/signatures/) });
    const signed = signMessage(unchanged as unknown as UnsignedMessage, [k1]);
    expect(parseSyncMessage(signed).ok).toBe(true);
    expect(verifyMessage(signed, ringOf(k1)).ok).toBe(true);
  });
});

describe('compatibility rule', () => {
  const k1 = newKey();

  it('older gateway, newer message: unknown members are ignored, and covered by the signature', () => {
    // A control plane of the same protocol version that added members this gateway does not know.
    const newer = signMessage(
      body({
        shard: { tags: ['eu'] },
        hints: [1, 2],
        document: { version: 1, apis: [], applications: [], future: {} },
      }),
      [k1],
    );
    const wire = JSON.parse(JSON.stringify(newer));
    const parsed = parseSyncMessage(wire);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(verifyMessage(parsed.message, ringOf(k1)).ok).toBe(true);
    expect((parsed.message as unknown as { shard: unknown }).shard).toEqual({ tags: ['eu'] });
  });

  it('newer gateway, older message of the same version: optional members absent keep the old behaviour', () => {
    // No `keys` (added for rotation): the ring stays as it is.
    const older = signMessage(body(), [k1]);
    expect('keys' in older).toBe(false);
    const parsed = parseSyncMessage(JSON.parse(JSON.stringify(older)));
    expect(parsed.ok).toBe(true);
    const ring = ringOf(k1);
    expect(followKeys(ring, undefined)).toBe(ring);
  });

  it('a version above this gateway is refused ("upgrade the gateway"); below the minimum too ("upgrade the control plane")', () => {
    const future = signMessage(body({ protocol: PROTOCOL_VERSION + 1 }), [k1]);
    expect(parseSyncMessage(future)).toEqual({ ok: false, reason: expect.stringMatching(/upgrade the gateway/) });
    // Version 1: `signature` (one), no protocol member, no binding: a replayable message.
    const v1 = {
      kind: 'snapshot',
      cursor: 'c:10',
      definitionVersion: 'd1',
      document: {},
      signature: { alg: 'Ed25519', keyId: 'k1', value: 'x' },
    };
    expect(parseSyncMessage(v1)).toEqual({ ok: false, reason: expect.stringMatching(/upgrade the control plane/) });
    expect(parseSyncMessage(signMessage(body({ protocol: MIN_PROTOCOL_VERSION - 1 }), [k1])).ok).toBe(false);
  });

  it('a message missing a member its version requires is refused with the path', () => {
    const { environment: _e, ...unbound } = body() as unknown as Record<string, unknown>;
    const parsed = parseSyncMessage(signMessage(unbound as unknown as UnsignedMessage, [k1]));
    expect(parsed).toEqual({ ok: false, reason: expect.stringMatching(/environment/) });
  });
});

describe('binding and order', () => {
  const k1 = newKey();
  const at = (cursor: string, issuedAt = '2026-12-01T10:00:00.000Z') => signMessage(body({ cursor, issuedAt }), [k1]);

  it("refuses another environment's or another gateway's message", () => {
    const message = at('c:10');
    expect(bindingMismatch(message, { environment: 'env-a', gateway: 'gw-1' })).toBeUndefined();
    expect(bindingMismatch(message, { environment: 'env-b', gateway: 'gw-1' })).toMatch(/environment "env-a"/);
    expect(bindingMismatch(message, { environment: 'env-a', gateway: 'gw-2' })).toMatch(/gateway "gw-1"/);
  });

  it('refuses going backwards: an older cursor, or the same cursor issued well before', () => {
    const last = { cursor: 'c:10', issuedAt: '2026-12-01T10:00:00.000Z' };
    expect(goesBackwards(at('c:9'), last)).toMatch(/older than c:10/);
    expect(goesBackwards(at('c:11'), last)).toBeUndefined();
    expect(goesBackwards(at('c:10'), last)).toBeUndefined();
    const skewed = new Date(Date.parse(last.issuedAt) - ISSUE_TIME_TOLERANCE_MS / 2).toISOString();
    expect(goesBackwards(at('c:10', skewed), last)).toBeUndefined();
    const replayed = new Date(Date.parse(last.issuedAt) - ISSUE_TIME_TOLERANCE_MS - 1).toISOString();
    expect(goesBackwards(at('c:10', replayed), last)).toMatch(/replayed/);
    // Numeric, not lexical: c:9 < c:10.
    expect(goesBackwards(at('c:10'), { cursor: 'c:9', issuedAt: last.issuedAt })).toBeUndefined();
  });
});

describe('key rotation', () => {
  it('follows a rotation announced by a trusted key, and refuses the old key after its notAfter', () => {
    const k1 = newKey();
    const k2 = newKey();
    let ring = ringOf(k1);
    const notAfter = Date.parse('2026-12-02T10:00:00.000Z');
    // During the overlap both keys sign; the message publishes k2 (current) and k1 (until notAfter).
    const keys = publishedKeys(keyRing([trustedKey(k2.publicKeyPem), trustedKey(k1.publicKeyPem, notAfter)]));
    const overlap = signMessage(body({ keys }), [k2, k1]);
    expect(verifyMessage(overlap, ring, notAfter - 1000)).toEqual({ ok: true, keyId: k1.keyId });
    ring = followKeys(ring, overlap.keys);
    expect([...ring.keys()].sort()).toEqual([k1.keyId, k2.keyId].sort());

    const byNew = signMessage(body({ cursor: 'c:11' }), [k2]);
    expect(verifyMessage(byNew, ring, notAfter - 1000).ok).toBe(true);
    const byOld = signMessage(body({ cursor: 'c:12' }), [k1]);
    expect(verifyMessage(byOld, ring, notAfter - 1000).ok).toBe(true);
    expect(verifyMessage(byOld, ring, notAfter + 1)).toEqual({ ok: false, reason: expect.stringMatching(/retired/) });

    // After the overlap the control plane publishes k2 alone: k1 leaves the ring.
    ring = followKeys(ring, publishedKeys(keyRing([trustedKey(k2.publicKeyPem)])));
    expect([...ring.keys()]).toEqual([k2.keyId]);
    expect(verifyMessage(byOld, ring, 0).ok).toBe(false);
  });

  it('ignores a published key whose key id is not its fingerprint', () => {
    const k1 = newKey();
    const k2 = newKey();
    const ring = ringOf(k1);
    const forged = [{ keyId: k1.keyId, alg: 'Ed25519' as const, publicKeyPem: k2.publicKeyPem }];
    expect(followKeys(ring, forged)).toBe(ring);
  });
});

describe('protocol 3: the signature covers a digest of the shared part', () => {
  const k1 = newKey();
  const doc = (version: number) => ({ version: 1, apis: [{ id: `api-${version}` }], applications: [] });

  it('negotiates the highest version both sides speak; no header means protocol 2', () => {
    expect(acceptedProtocols()).toBe('4, 3, 2');
    expect(negotiateProtocol(acceptedProtocols())).toBe(4);
    expect(negotiateProtocol('3, 2')).toBe(3);
    expect(negotiateProtocol(undefined)).toBe(2);
    expect(negotiateProtocol('2')).toBe(2);
    expect(negotiateProtocol(['5, 3', '2'])).toBe(3);
    expect(negotiateProtocol('9, 1, x')).toBe(2);
  });

  it('signs the envelope (digest included), not the document; a changed document or digest is refused', () => {
    const signed = signMessage(body({ document: doc(1) }), [k1]) as SyncMessage & { digest: string };
    expect(signed.digest).toBe(digestOf(canonicalJson(doc(1))));
    expect(canonicalBytes(signed).toString()).not.toContain('api-1');
    expect(verifyMessage(signed, ringOf(k1))).toEqual({ ok: true, keyId: k1.keyId });
    // The document of another version under this envelope: its digest is not the signed one.
    expect(verifyMessage({ ...signed, document: doc(2) } as SyncMessage, ringOf(k1))).toEqual({
      ok: false,
      reason: expect.stringMatching(/does not match the signed digest/),
    });
    // ...and with that version's digest put in, the envelope's signature no longer verifies.
    const mixed = { ...signed, document: doc(2), digest: digestOf(canonicalJson(doc(2))) };
    expect(verifyMessage(mixed as SyncMessage, ringOf(k1))).toEqual({
      ok: false,
      reason: expect.stringMatching(/invalid signature/),
    });
    // A protocol 3 part without a digest is covered by nothing: refused before the signature.
    const { digest: _d, ...bare } = signed;
    expect(parseSyncMessage(bare)).toEqual({ ok: false, reason: expect.stringMatching(/requires digest/) });
  });

  it("a delta's applications are covered by the digest", () => {
    const delta = signMessage(
      body({
        kind: 'delta',
        fromCursor: 'c:9',
        document: undefined,
        applications: { upsert: [{ id: 'app-1', keys: ['h1'] }], delete: [] },
      }),
      [k1],
    ) as SyncMessage & { applications: { upsert: unknown[]; delete: string[] } };
    expect(parseSyncMessage(JSON.parse(JSON.stringify(delta))).ok).toBe(true);
    expect(verifyMessage(delta, ringOf(k1)).ok).toBe(true);
    const tampered = { ...delta, applications: { upsert: [], delete: ['app-1'] } };
    expect(verifyMessage(tampered as SyncMessage, ringOf(k1)).ok).toBe(false);
  });

  it('protocol 2 still signs the whole message; a signature never verifies under the other version', () => {
    const v2 = signMessage(body({ protocol: 2, document: doc(1) }), [k1]);
    expect('digest' in v2).toBe(false);
    expect(canonicalBytes(v2).toString()).toContain('api-1');
    expect(verifyMessage(v2, ringOf(k1)).ok).toBe(true);
    expect(verifyMessage({ ...v2, document: doc(2) } as SyncMessage, ringOf(k1)).ok).toBe(false);
    // Relabelled: `protocol` is inside both versions' signed bytes.
    const v3 = signMessage(body({ protocol: 3, document: doc(1) }), [k1]);
    const asV2 = { ...v3, protocol: 2 };
    expect(verifyMessage(asV2 as SyncMessage, ringOf(k1)).ok).toBe(false);
    const asV3 = { ...v2, protocol: 3, digest: digestOf(canonicalJson(doc(1))) };
    expect(verifyMessage(asV3 as SyncMessage, ringOf(k1)).ok).toBe(false);
  });
});

describe('protocol 4: a definition delta', () => {
  const k1 = newKey();
  const definition = (n: number) => ({ version: 1, apis: [{ id: `api-${n}`, revision: n }] });
  const changes = { upsert: [{ id: 'app-1', name: 'One' }], delete: ['app-2'] };
  const definitionBody = (over: Record<string, unknown> = {}) =>
    body({
      kind: 'definition',
      document: undefined,
      fromCursor: 'c:9',
      definition: definition(1),
      applications: changes,
      ...over,
    });
  type Def = SyncMessage & { definition: object; applications: object; digest: string; definitionDigest: string };

  it('carries a digest per shared part; neither part is in the signed bytes', () => {
    const signed = signMessage(definitionBody(), [k1]) as Def;
    expect(signed.definitionDigest).toBe(digestOf(canonicalJson(definition(1))));
    expect(signed.digest).toBe(digestOf(canonicalJson(changes)));
    const bytes = canonicalBytes(signed).toString();
    expect(bytes).not.toContain('api-1');
    expect(bytes).not.toContain('app-1');
    expect(bytes).toContain(signed.definitionDigest);
    expect(bytes).toContain(signed.digest);
    expect(parseSyncMessage(JSON.parse(JSON.stringify(signed)))).toEqual({ ok: true, message: signed });
    expect(verifyMessage(signed, ringOf(k1))).toEqual({ ok: true, keyId: k1.keyId });
  });

  it('refuses another definition or other credential changes under the envelope', () => {
    const signed = signMessage(definitionBody(), [k1]) as Def;
    const otherDefinition = { ...signed, definition: definition(2) };
    expect(verifyMessage(otherDefinition as SyncMessage, ringOf(k1))).toEqual({
      ok: false,
      reason: expect.stringMatching(/definition received does not match/),
    });
    const otherChanges = { ...signed, applications: { upsert: [], delete: [] } };
    expect(verifyMessage(otherChanges as SyncMessage, ringOf(k1))).toEqual({
      ok: false,
      reason: expect.stringMatching(/applications received does not match/),
    });
    const redigested = { ...otherDefinition, definitionDigest: digestOf(canonicalJson(definition(2))) };
    expect(verifyMessage(redigested as SyncMessage, ringOf(k1))).toEqual({
      ok: false,
      reason: expect.stringMatching(/invalid signature/),
    });
    const { definitionDigest: _d, ...bare } = signed;
    expect(parseSyncMessage(bare).ok).toBe(false);
  });

  it('relabelled as protocol 3 (or 2) it is refused: the kind needs 4, and `protocol` is signed', () => {
    const signed = signMessage(definitionBody(), [k1]) as Def;
    for (const protocol of [3, 2]) {
      const relabelled = { ...signed, protocol };
      expect(parseSyncMessage(relabelled)).toEqual({
        ok: false,
        reason: expect.stringMatching(/definition delta needs protocol 4/),
      });
      expect(verifyMessage(relabelled as SyncMessage, ringOf(k1)).ok).toBe(false);
    }
    // A protocol 4 snapshot relabelled 3 has the same members but other signed bytes.
    const snapshot = signMessage(body({ document: definition(1) }), [k1]);
    expect(snapshot.protocol).toBe(4);
    expect(verifyMessage({ ...snapshot, protocol: 3 } as SyncMessage, ringOf(k1)).ok).toBe(false);
  });

  it('a gateway speaking protocol 3 refuses it as from a newer control plane', () => {
    // What a protocol 3 gateway does with a version above its own (see the compatibility rule).
    const signed = signMessage(definitionBody({ protocol: PROTOCOL_VERSION + 1 }), [k1]);
    expect(parseSyncMessage(signed)).toEqual({ ok: false, reason: expect.stringMatching(/upgrade the gateway/) });
  });

  it('binding and order apply as to any message', () => {
    const signed = signMessage(definitionBody({ cursor: 'c:12' }), [k1]);
    expect(bindingMismatch(signed, { environment: 'env-a', gateway: 'gw-2' })).toMatch(/gateway "gw-1"/);
    expect(goesBackwards(signed, { cursor: 'c:13', issuedAt: '2026-12-01T10:00:00.000Z' })).toMatch(/older than c:13/);
    expect(goesBackwards(signed, { cursor: 'c:11', issuedAt: '2026-12-01T10:00:00.000Z' })).toBeUndefined();
  });
});
