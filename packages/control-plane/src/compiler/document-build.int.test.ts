/**
 * The off-loop builds read from a database in pages: the served bytes are the in-process compiler's
 * canonicalJson, every key is there once across the pages, and the check and export agree.
 */
import { gunzipSync } from 'node:zlib';
import { digestOf } from '@gatehouse/config';
import { canonicalJson } from '@gatehouse/core';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { seedApiKeys } from '../bench/delta-bytes.js';
import { environments } from '../db/schema.js';
import { createHarness, describeOnBackends, type Harness } from '../test-support/harness.js';
import { buildEnvironmentDocument, PAGE_ROWS } from './compile.js';
import { checkEnvironmentConfig, exportEnvironmentConfig } from './config-check.js';
import { buildServedDocument } from './document-build.js';

describeOnBackends('document builds from the database', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backend);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('serves the in-process bytes across several pages of keys; the check and the export agree', async () => {
    const { slug, env } = await h.createEnvironmentWithApi();
    expect((await h.call('POST', `${env}/apis/orders/deployments`, { body: {} })).statusCode).toBe(201);
    const keys = 2 * PAGE_ROWS + 10;
    await seedApiKeys(h.db, slug, keys);
    const [row] = await h.db.select({ id: environments.id }).from(environments).where(eq(environments.slug, slug));
    const now = new Date('2026-12-02T10:00:00.000Z');

    const built = await buildServedDocument(h.db, row!.id, { now });
    const local = await buildEnvironmentDocument(h.db, row!.id, { now });
    const expected = Buffer.from(canonicalJson(local.document));
    expect(built.bytes.equals(expected)).toBe(true);
    expect(built.digest).toBe(digestOf(expected));
    expect(gunzipSync(built.gzip).equals(expected)).toBe(true);
    expect([built.configVersion, built.definitionVersion]).toEqual([local.configVersion, local.definitionVersion]);
    const ids = local.document.applications!.flatMap((a) =>
      a.subscriptions.flatMap((s) => s.apiKeys!.map((k) => k.id)),
    );
    expect(new Set(ids).size).toBe(keys);
    expect(ids.length).toBe(keys);

    expect((await checkEnvironmentConfig(h.db, row!.id)).definitionVersion).toBe(local.definitionVersion);
    const exported = await exportEnvironmentConfig(h.db, row!.id);
    expect(exported.configVersion).toBe(local.configVersion);
    expect(JSON.parse(exported.json.toString()).applications).toHaveLength(local.document.applications!.length);
  }, 120_000);
});
