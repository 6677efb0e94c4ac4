/**
 * The change log is pruned with a horizon (age or count): a gateway whose cursor is behind it gets a
 * snapshot, one within it still gets deltas; a delta carries only the changed applications.
 */
import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { configChanges, environments } from '../db/schema.js';
import { changeLogRetentionFromEnv } from '../server.js';
import { inTransaction } from '../services/tx.js';
import { createHarness, describeOnBackends, type Harness } from '../test-support/harness.js';
import { pruneChangeLog, prunedThrough } from './change-horizon.js';
import { recordChanges } from './changes.js';
import { deltaCache } from './sync.js';

// biome-ignore lint/suspicious/noExplicitAny: test reads arbitrary JSON
type Json = Record<string, any>;

it('reads the horizon from the environment', () => {
  expect(changeLogRetentionFromEnv(undefined, undefined)).toEqual({ maxAgeMs: 7 * 86_400_000, keep: 10_000 });
  expect(changeLogRetentionFromEnv('12h', 'off')).toEqual({ maxAgeMs: 12 * 3_600_000, keep: 0 });
  expect(changeLogRetentionFromEnv('0', '500')).toEqual({ maxAgeMs: 0, keep: 500 });
  expect(() => changeLogRetentionFromEnv('soon', undefined)).toThrow(/GATEHOUSE_CHANGE_LOG_RETENTION/);
  expect(() => changeLogRetentionFromEnv(undefined, '-3')).toThrow(/GATEHOUSE_CHANGE_LOG_KEEP/);
});

describeOnBackends('change-log horizon', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backend);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('prunes by count and by age, never the head; an older cursor gets a snapshot, a newer one a delta', async () => {
    const slug = `env-${randomUUID().slice(0, 8)}`;
    expect((await h.call('POST', '/api/v1/environments', { body: { id: slug } })).statusCode).toBe(201);
    const [env] = await h.db.select({ id: environments.id }).from(environments).where(eq(environments.slug, slug));
    const envId = env!.id;
    const { token } = (await h.call('POST', `/api/v1/environments/${slug}/gateways`, { body: { name: 'gw' } })).json<{
      token: string;
    }>();
    const sync = async (cursor?: string) =>
      (
        await h.call('GET', `/api/v1/gateway/sync${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`, { token })
      ).json<Json>();
    const change = () =>
      inTransaction(h.db, (tx) => recordChanges(tx, envId, [{ kind: 'credentials', applicationId: randomUUID() }]));
    const rows = async () =>
      Number((await h.db.select({ n: count() }).from(configChanges).where(eq(configChanges.envId, envId)))[0]?.n ?? 0);

    const first = await sync();
    expect(first.kind).toBe('snapshot');
    for (let i = 0; i < 4; i++) await change();
    const delta = await sync(first.cursor);
    // Only the changed applications are named (none of them exists: each is a delete).
    expect(delta).toMatchObject({ kind: 'delta', fromCursor: first.cursor });
    expect(delta.applications.upsert).toEqual([]);
    expect(delta.applications.delete).toHaveLength(4);
    const head = delta.cursor as string;
    // Another gateway at the same cursor shares the delta built for the first.
    const { token: other } = (
      await h.call('POST', `/api/v1/environments/${slug}/gateways`, { body: { name: 'gw2' } })
    ).json<{ token: string }>();
    const builds = deltaCache(h.db).builds;
    const shared = (await h.call('GET', `/api/v1/gateway/sync?cursor=${first.cursor}`, { token: other })).json<Json>();
    expect(shared.applications).toEqual(delta.applications);
    expect(shared.gateway).not.toBe(delta.gateway);
    expect(deltaCache(h.db).builds).toBe(builds);

    // By count: two rows kept; the oldest cursor is behind the horizon now.
    const now = Date.now();
    expect(await pruneChangeLog(h.db, { maxAgeMs: 0, keep: 2 }, now)).toBeGreaterThanOrEqual(2);
    expect(await rows()).toBe(2);
    expect(await prunedThrough(h.db, envId)).toBeGreaterThan(Number(first.cursor.slice(2)));
    expect((await sync(head)).kind).toBe('unchanged');
    // (A delta already built for the old cursor stays valid for the same head: it was read whole.)
    await change();
    expect((await sync(first.cursor)).kind).toBe('snapshot');
    expect(await sync(head)).toMatchObject({ kind: 'delta', fromCursor: head });

    // By age: everything but the head goes; pruning again changes nothing.
    expect(await pruneChangeLog(h.db, { maxAgeMs: 1, keep: 0 }, now + 60_000)).toBeGreaterThanOrEqual(2);
    expect(await rows()).toBe(1);
    expect(await pruneChangeLog(h.db, { maxAgeMs: 1, keep: 0 }, now + 60_000)).toBe(0);
    // The cursor of the pruned head itself still gets a delta: nothing after it was pruned.
    expect((await sync(head)).kind).toBe('delta');
    expect((await sync(first.cursor)).kind).toBe('snapshot');
    const latest = (await sync()).cursor as string;
    expect((await sync(latest)).kind).toBe('unchanged');
    // Off: nothing is pruned.
    await change();
    expect(await pruneChangeLog(h.db, { maxAgeMs: 0, keep: 0 }, now + 60_000)).toBe(0);
  });
});
