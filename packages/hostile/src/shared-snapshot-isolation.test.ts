/**
 * Attack class: a shared cache leaking between tenants. Snapshots are built once and shared by
 * every gateway at the same version (control-plane hybrid/shared-snapshot.ts); a gateway of another
 * environment or another shard asking at the same moment must get its own document, bound to
 * itself, and a request that tampers with the encoding negotiation gets nothing it should not.
 */
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { keyRing, type SyncMessage, trustedKey, verifyMessage } from '@gatehouse/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createHarness, type Harness } from '../../control-plane/src/test-support/harness.js';

const GW = '/api/v1/gateway';
type Message = SyncMessage & { document?: { apis?: Array<{ id: string }> } };

describe('shared snapshots do not leak between environments or shards', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backends()[0]!);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  async function environment(apis: Array<{ id: string; tags: string[] }>) {
    const slug = `env-${randomUUID().slice(0, 8)}`;
    expect((await h.call('POST', '/api/v1/environments', { body: { id: slug } })).statusCode).toBe(201);
    const env = `/api/v1/environments/${slug}`;
    for (const api of apis) {
      const res = await h.call('POST', `${env}/apis`, {
        body: {
          id: api.id,
          name: api.id,
          basePath: `/${api.id}`,
          upstream: { targets: [{ url: 'http://127.0.0.1:9' }] },
          shardingTags: api.tags,
          lifecycle: 'published',
          visibility: 'public',
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      await h.call('POST', `${env}/apis/${api.id}/plans`, { body: { id: 'open', security: { type: 'keyless' } } });
      expect((await h.call('POST', `${env}/apis/${api.id}/deployments`, { body: {} })).statusCode).toBe(201);
    }
    return env;
  }
  const gateway = async (env: string, name: string, tags: string[] = []) =>
    (await h.call('POST', `${env}/gateways`, { body: { name, tags } })).json<{ id: string; token: string }>();
  const sync = async (token: string, encoding?: string) => {
    const res = await h.call('GET', `${GW}/sync`, {
      token,
      ...(encoding ? { headers: { 'accept-encoding': encoding } } : {}),
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.headers['content-encoding'] === 'gzip' ? gunzipSync(res.rawPayload).toString() : res.body;
    return JSON.parse(body) as Message;
  };
  const apiIds = (m: Message) => (m.document?.apis ?? []).map((a) => a.id).sort();

  it('gives each environment and shard its own document, bound to the asking gateway, at the same moment', async () => {
    const envA = await environment([
      { id: 'alpha-eu', tags: ['eu'] },
      { id: 'alpha-us', tags: ['us'] },
    ]);
    const envB = await environment([{ id: 'bravo-eu', tags: ['eu'] }]);
    const a1 = await gateway(envA, 'a1', ['eu']);
    const a2 = await gateway(envA, 'a2', ['us']);
    const b1 = await gateway(envB, 'b1', ['eu']);
    const { publicKeyPem } = (await h.call('GET', `${GW}/signing-key`, { token: a1.token })).json<{
      publicKeyPem: string;
    }>();

    // All at once, so they race for the cache; and again, served from it.
    for (let round = 0; round < 2; round++) {
      const [m1, m2, m3] = await Promise.all([sync(a1.token, 'gzip'), sync(a2.token), sync(b1.token, 'gzip, br')]);
      expect(apiIds(m1)).toEqual(['alpha-eu']);
      expect(apiIds(m2)).toEqual(['alpha-us']);
      expect(apiIds(m3)).toEqual(['bravo-eu']);
      expect([m1.gateway, m2.gateway, m3.gateway]).toEqual([a1.id, a2.id, b1.id]);
      expect(m1.environment).toBe(m2.environment);
      expect(m3.environment).not.toBe(m1.environment);
      for (const m of [m1, m2, m3]) expect(verifyMessage(m, keyRing([trustedKey(publicKeyPem)])).ok).toBe(true);
    }
  });

  it('answers hostile Accept-Encoding values with a plain or gzip body, never an error or a mix', async () => {
    const env = await environment([{ id: 'charlie', tags: [] }]);
    const gw = await gateway(env, 'c1');
    for (const encoding of ['gzip;q=0', 'x'.repeat(4000), 'gzip;q=abc', ', , ;;', 'identity;q=0, *;q=0', 'GZIP']) {
      const message = await sync(gw.token, encoding);
      expect(message.kind).toBe('snapshot');
      expect(apiIds(message)).toEqual(['charlie']);
    }
  });
});
