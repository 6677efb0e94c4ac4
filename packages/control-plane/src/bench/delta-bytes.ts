/**
 * How many bytes a gateway receives: a full snapshot versus the delta after adding or revoking one
 * API key, with N keys in the environment (default 100,000). Keys are bulk-inserted, not created
 * through the API. Run after a build:
 *
 *   node packages/control-plane/dist/bench/delta-bytes.js [keys]      # embedded PGlite
 *   DATABASE_URL=postgres://... node packages/control-plane/dist/bench/delta-bytes.js
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { SecretBox, sha256Hex, silentLogger } from '@gatehouse/core';
import { and, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { buildApp } from '../app.js';
import { bootstrap } from '../bootstrap.js';
import { type Database, openDatabase } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import { apiKeys, apis, applications, environments, plans, subscriptions, users } from '../db/schema.js';
import { adminScope, createDemoSetup } from '../demo.js';
import { recordChanges } from '../hybrid/changes.js';
import { installedSecretBox } from '../secrets/keyring.js';
import { createKey, revokeKey } from '../services/api-keys.js';
import { inTransaction } from '../services/tx.js';

const KEYS_PER_APPLICATION = 10;
const CHUNK = 1000;

export interface DeltaFigures {
  keys: number;
  snapshotBytes: number;
  snapshotMs: number;
  addKeyDeltaBytes: number;
  revokeKeyDeltaBytes: number;
  unchangedBytes: number;
}

/** Bulk-inserts applications subscribed to `orders`/`gold`, `KEYS_PER_APPLICATION` keys each. */
export async function seedApiKeys(db: Database, envSlug: string, count: number): Promise<void> {
  const [target] = await db
    .select({ envId: environments.id, apiPk: apis.pk, planPk: plans.pk })
    .from(apis)
    .innerJoin(environments, eq(environments.id, apis.envId))
    .innerJoin(plans, eq(plans.apiPk, apis.pk))
    .where(and(eq(environments.slug, envSlug), eq(apis.slug, 'orders'), eq(plans.slug, 'gold')))
    .limit(1);
  const [owner] = await db.select({ id: users.id }).from(users).where(eq(users.isAdmin, true)).limit(1);
  if (!target || !owner) throw new Error('run createDemoSetup first');
  const appCount = Math.ceil(count / KEYS_PER_APPLICATION);
  const appIds = Array.from({ length: appCount }, () => randomUUID());
  const subIds = appIds.map(() => randomUUID());
  for (let i = 0; i < appCount; i += CHUNK) {
    const slice = appIds.slice(i, i + CHUNK);
    await db
      .insert(applications)
      .values(slice.map((id, j) => ({ id, envId: target.envId, name: `bench-${i + j}`, ownerId: owner.id })));
    await db.insert(subscriptions).values(
      slice.map((applicationId, j) => ({
        id: subIds[i + j]!,
        envId: target.envId,
        applicationId,
        apiPk: target.apiPk,
        planPk: target.planPk,
        status: 'accepted',
      })),
    );
  }
  for (let i = 0; i < count; i += CHUNK) {
    const n = Math.min(CHUNK, count - i);
    await db.insert(apiKeys).values(
      Array.from({ length: n }, (_, j) => ({
        id: randomUUID(),
        subscriptionId: subIds[Math.floor((i + j) / KEYS_PER_APPLICATION)]!,
        keyHash: `sha256:${sha256Hex(`bench-key-${i + j}-${randomUUID()}`)}`,
        prefix: 'ghk_bench',
      })),
    );
  }
  // One definition change so gateways holding an older cursor take a fresh snapshot.
  await inTransaction(db, (tx) => recordChanges(tx, target.envId, [{ kind: 'definition', apiTags: [] }]));
}

export async function measureDeltaBytes(db: Database, keys: number): Promise<DeltaFigures> {
  const boot = await bootstrap(db, { adminEmail: 'bench@example.test', adminPassword: 'bench-password-long-enough' });
  // The signing key may already be sealed under this process's key (tests); otherwise a fresh one.
  const secretBox = installedSecretBox() ?? new SecretBox(randomBytes(32));
  const app = await buildApp({ db, orgId: boot.orgId, logger: silentLogger(), secretBox });
  try {
    const demo = await createDemoSetup({ db }, { upstreamUrl: 'http://127.0.0.1:9' });
    await seedApiKeys(db, demo.environment, keys);
    const sync = async (cursor?: string) => {
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/gateway/sync${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`,
        headers: { authorization: `Bearer ${demo.gatewayToken}` },
      });
      if (res.statusCode !== 200) throw new Error(`sync: ${res.statusCode} ${res.body}`);
      return { bytes: res.rawPayload.length, message: res.json() as { kind: string; cursor: string } };
    };
    const t = performance.now();
    const snapshot = await sync();
    const snapshotMs = performance.now() - t;
    if (snapshot.message.kind !== 'snapshot') throw new Error(`expected a snapshot, got ${snapshot.message.kind}`);

    const scope = await adminScope(db, demo.environment);
    const [sub] = await db
      .select({ id: subscriptions.id })
      .from(subscriptions)
      .where(eq(subscriptions.applicationId, demo.applicationId))
      .limit(1);
    const added = await createKey(scope, sub!.id, {});
    const addDelta = await sync(snapshot.message.cursor);
    if (addDelta.message.kind !== 'delta') throw new Error(`expected a delta, got ${addDelta.message.kind}`);
    await revokeKey(scope, sub!.id, added.row.id);
    const revokeDelta = await sync(addDelta.message.cursor);
    const unchanged = await sync(revokeDelta.message.cursor);
    return {
      keys: Number(
        (
          (await db.execute(sql`SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL`)) as unknown as {
            rows: Array<{ n: number }>;
          }
        ).rows[0]!.n,
      ),
      snapshotBytes: snapshot.bytes,
      snapshotMs,
      addKeyDeltaBytes: addDelta.bytes,
      revokeKeyDeltaBytes: revokeDelta.bytes,
      unchangedBytes: unchanged.bytes,
    };
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const keys = Number(process.argv[2] ?? 100_000);
  const databaseUrl = process.env.DATABASE_URL;
  let schema: string | undefined;
  if (databaseUrl) {
    schema = `gh_bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
  }
  const handle = await openDatabase({ databaseUrl, searchPath: schema });
  try {
    await migrate(handle.db);
    const started = performance.now();
    const f = await measureDeltaBytes(handle.db, keys);
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    console.log(
      `delta-bytes on ${handle.kind}, ${f.keys} live API keys (seed + measure ${Math.round(performance.now() - started)} ms)`,
    );
    console.log(
      `  snapshot            ${String(f.snapshotBytes).padStart(10)} B  ${kb(f.snapshotBytes)}  (${Math.round(f.snapshotMs)} ms)`,
    );
    console.log(`  delta, key added    ${String(f.addKeyDeltaBytes).padStart(10)} B  ${kb(f.addKeyDeltaBytes)}`);
    console.log(`  delta, key revoked  ${String(f.revokeKeyDeltaBytes).padStart(10)} B  ${kb(f.revokeKeyDeltaBytes)}`);
    console.log(`  unchanged           ${String(f.unchangedBytes).padStart(10)} B`);
  } finally {
    if (schema) await handle.db.execute(sql.raw(`DROP SCHEMA ${schema} CASCADE`));
    await handle.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
