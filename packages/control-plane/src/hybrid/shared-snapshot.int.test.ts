/** A snapshot is built once per version and shard, shared (and gzipped once), and still verifies per gateway. */
import { gunzipSync } from 'node:zlib';
import { canonicalBytes, digestOf, keyRing, type SyncMessage, trustedKey, verifyMessage } from '@gatehouse/config';
import { canonicalJson } from '@gatehouse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptsGzip } from '../routes/gateway-api.js';
import { createHarness, describeOnBackends, type Harness } from '../test-support/harness.js';
import { snapshotCache } from './shared-snapshot.js';

// biome-ignore lint/suspicious/noExplicitAny: test reads arbitrary JSON
type Json = Record<string, any>;
const GW = '/api/v1/gateway';

describe('accept-encoding negotiation', () => {
  it('sends gzip only to a client that takes it', () => {
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('br;q=1.0, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });
});

describeOnBackends('shared snapshots', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backend);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('builds one document per version and shard; each gateway gets its own binding and a valid signature, gzipped or not', async () => {
    const { env } = await h.createEnvironmentWithApi();
    expect((await h.call('POST', `${env}/apis/orders/deployments`, { body: {} })).statusCode).toBe(201);
    const gateway = async (name: string, tags: string[] = []) =>
      (await h.call('POST', `${env}/gateways`, { body: { name, tags } })).json<{ id: string; token: string }>();
    const a = await gateway('a');
    const b = await gateway('b');
    const other = await gateway('c', ['eu']);
    const { publicKeyPem } = (await h.call('GET', `${GW}/signing-key`, { token: a.token })).json<Json>();
    const verifies = (m: Json) => verifyMessage(m as SyncMessage, keyRing([trustedKey(publicKeyPem)]));

    const cache = snapshotCache(h.db);
    const before = cache.builds;
    const v3 = { 'gatehouse-protocol': '3, 2' };
    const [plain, zipped, v2Plain, v2Zipped] = await Promise.all([
      h.call('GET', `${GW}/sync`, { token: a.token, headers: v3 }),
      h.call('GET', `${GW}/sync`, { token: b.token, headers: { ...v3, 'accept-encoding': 'gzip' } }),
      // A gateway from before protocol 3 names no version: it gets protocol 2, signed over the whole message.
      h.call('GET', `${GW}/sync`, { token: a.token }),
      h.call('GET', `${GW}/sync`, { token: b.token, headers: { 'accept-encoding': 'gzip' } }),
    ]);
    for (const [answer, zip] of [
      [v2Plain, false],
      [v2Zipped, true],
    ] as const) {
      const m = JSON.parse((zip ? gunzipSync(answer.rawPayload) : answer.rawPayload).toString()) as Json;
      expect([m.protocol, m.digest]).toEqual([2, undefined]);
      expect(verifies(m).ok).toBe(true);
      expect(canonicalBytes(m).toString()).toContain('"document":');
      expect(verifies({ ...m, document: { ...m.document, extra: true } }).ok).toBe(false);
    }
    expect(plain.headers.vary).toContain('gatehouse-protocol');
    expect(cache.builds - before).toBe(1);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    const first = JSON.parse(plain.body) as Json;
    const second = JSON.parse(gunzipSync(zipped.rawPayload).toString()) as Json;
    expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length);
    expect(verifies(first).ok).toBe(true);
    expect(verifies(second).ok).toBe(true);
    expect([first.gateway, second.gateway]).toEqual([a.id, b.id]);
    expect(second.document).toEqual(first.document);
    expect(second.cursor).toBe(first.cursor);
    expect([first.protocol, second.protocol]).toEqual([3, 3]);
    expect(first.digest).toBe(digestOf(canonicalJson(first.document)));

    // Over a real connection, as the gateway's fetch does it: gzip asked by default, two gzip
    // members (shared + own) decoded as one body.
    const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const fetched = await fetch(`${url}${GW}/sync`, { headers: { authorization: `Bearer ${b.token}`, ...v3 } });
    expect(fetched.headers.get('content-encoding')).toBe('gzip');
    const third = (await fetched.json()) as Json;
    expect(verifies(third).ok).toBe(true);
    expect(third.document).toEqual(first.document);

    // A tampered shared part no longer verifies: the signature covers its digest.
    expect(verifies({ ...second, document: { ...second.document, extra: true } }).ok).toBe(false);

    // Another shard is another document; a new version is another build.
    await h.call('GET', `${GW}/sync`, { token: other.token });
    expect(cache.builds - before).toBe(2);
    await h.call('GET', `${GW}/sync`, { token: a.token });
    expect(cache.builds - before).toBe(2);
    expect((await h.call('POST', `${env}/apis/orders/deployments`, { body: {} })).statusCode).toBe(201);
    const next = (await h.call('GET', `${GW}/sync`, { token: a.token, headers: v3 })).json<Json>();
    expect(next.kind).toBe('snapshot');
    expect(next.cursor).not.toBe(first.cursor);
    expect(verifies(next).ok).toBe(true);
    expect(cache.builds - before).toBe(3);
  });
});
