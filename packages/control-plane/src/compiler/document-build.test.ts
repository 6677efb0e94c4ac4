/**
 * The off-loop document build (system project: it runs the built worker script from dist): the same
 * bytes as canonicalJson on this thread, a failure rejects and the next build works, and the event
 * loop keeps turning while the worker builds.
 */
import { gunzipSync } from 'node:zlib';
import type { Api } from '@gatehouse/config';
import { digestOf } from '@gatehouse/config';
import { canonicalJson } from '@gatehouse/core';
import { afterAll, describe, expect, it } from 'vitest';
import { assembleApplications, assembleDocument, type KeyRow, type SubscriptionRow } from './assemble.js';
import { buildDocumentFromRows, buildJsonPart, buildsOffTheLoop, stopDocumentBuilds } from './document-build.js';
import type { DocumentRows } from './document-bytes.js';

afterAll(() => stopDocumentBuilds());

const varied = {
  zeta: 1,
  alpha: { ü: 'ñ', b: [3, { y: null, x: '😀 \u2028 \u0000 "quoted" \\' }], a: undefined },
  é: 'café',
  '10': true,
  '2': false,
  Z: { deep: { deeper: [[], {}, [{ c: 1, b: 2, a: 3 }]] } },
  numbers: [1e21, -0.5, 0, 123456789.125],
  '': 'empty key',
};

function api(id: string, plans: string[]): Api {
  return {
    id,
    name: `API ${id} ✓`,
    basePath: `/${id}`,
    upstream: { url: 'http://127.0.0.1:9' },
    policies: [],
    plans: plans.map((p) => ({
      id: p,
      name: p,
      security: { type: 'api-key', config: {} },
      policies: [],
      status: 'published',
    })),
    revision: 1,
  } as unknown as Api;
}

function rows(keyCount: number): DocumentRows {
  const apis: Array<[string, Api]> = [
    ['pk-b', api('orders', ['gold', 'silver'])],
    ['pk-a', api('billing', ['free'])],
  ];
  const subscriptions: SubscriptionRow[] = [];
  const keys: KeyRow[] = [];
  const apps = Math.max(3, Math.ceil(keyCount / 10));
  for (let a = apps - 1; a >= 0; a--) {
    const pk = a % 2 ? 'pk-b' : 'pk-a';
    const plan = a % 2 ? (a % 3 ? 'gold' : 'bronze') : 'free';
    subscriptions.push({
      id: `sub-${a}`,
      apiPk: pk,
      planSlug: plan,
      appId: `app-${a % 7}`,
      appName: `Ünïcode app ${a}`,
      clientId: a % 4 ? null : `client-${a}`,
    });
  }
  for (let k = keyCount - 1; k >= 0; k--)
    keys.push({
      id: `key-${String(k).padStart(6, '0')}`,
      subscriptionId: `sub-${k % apps}`,
      keyHash: `sha256:${k.toString(16).padStart(64, '0')}`,
      expiresAt: k % 5 ? null : new Date(Date.UTC(2027, 0, 1, 0, 0, k % 60)),
    });
  return { environment: 'prod-é', apis, subscriptions, keys, now: Date.UTC(2026, 11, 2, 10, 0, 0) };
}

describe('document builds off the event loop', () => {
  it('runs in the worker thread (the build is in dist)', () => {
    expect(buildsOffTheLoop()).toBe(true);
  });

  it('makes the same canonical bytes, digest and gzip as canonicalJson on this thread', async () => {
    const built = await buildJsonPart(varied);
    const expected = Buffer.from(canonicalJson(varied));
    expect(built.bytes.equals(expected)).toBe(true);
    expect(built.digest).toBe(digestOf(expected));
    expect(gunzipSync(built.gzip).equals(expected)).toBe(true);
  });

  it('assembles the served document from rows exactly as the in-process compiler does', async () => {
    const input = rows(2_000);
    const built = await buildDocumentFromRows(input);
    const apis = new Map(input.apis);
    const local = assembleDocument(
      input.environment,
      apis,
      assembleApplications(apis, input.subscriptions, input.keys),
      new Date(input.now),
    );
    const expected = Buffer.from(canonicalJson(local.document));
    expect(built.bytes.equals(expected)).toBe(true);
    expect(built.digest).toBe(digestOf(expected));
    expect(gunzipSync(built.gzip).equals(expected)).toBe(true);
    expect([built.configVersion, built.definitionVersion]).toEqual([local.configVersion, local.definitionVersion]);
    // The bronze subscriptions (no such plan served) are left out; expiry survives the clone as a Date.
    expect(expected.toString()).not.toContain('bronze');
    expect(expected.toString()).toContain('"expiresAt":"2027-01-01T00:00:00.000Z"');
  });

  it('rejects a failing build, and the next build works', async () => {
    await expect(buildJsonPart({ n: 10n })).rejects.toThrow(/document build failed: .*BigInt/);
    await expect(buildJsonPart(() => 1)).rejects.toThrow();
    expect((await buildJsonPart({ b: 1, a: 2 })).bytes.toString()).toBe('{"a":2,"b":1}');
  });

  it('rejects every build in flight when the worker stops, and starts a new one for the next', async () => {
    const large = Array.from({ length: 8 }, (_, i) => `${'é'.repeat(400_000)}${i}`);
    const inFlight = [buildJsonPart(large), buildJsonPart(large)];
    await stopDocumentBuilds();
    for (const build of inFlight) await expect(build).rejects.toThrow(/worker stopped/);
    expect((await buildJsonPart([1])).bytes.toString()).toBe('[1]');
  });

  it('lets the event loop turn while a large document is built', async () => {
    const built = buildDocumentFromRows(rows(50_000));
    let finished = false;
    void built.then(() => {
      finished = true;
    });
    // A part made of large strings: cheap to clone, long to serialise, hash and compress.
    const part = buildJsonPart(Array.from({ length: 16 }, (_, i) => `${'é'.repeat(500_000)}${i}`));
    let ticksWhileBuilding = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        if (finished) return resolve();
        ticksWhileBuilding++;
        setImmediate(tick);
      };
      setImmediate(tick);
    });
    await part;
    // In-loop, the build would have run to its end before any of these ticks.
    expect(ticksWhileBuilding).toBeGreaterThan(0);
    expect((await built).bytes.length).toBeGreaterThan(1_000_000);
  });
});
