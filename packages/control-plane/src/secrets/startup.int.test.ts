/**
 * Start-up with encrypted secrets: the key file is created once; a missing or wrong key refuses to
 * start; secrets stored in clear by an older version are encrypted.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '@gatehouse/core';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../db/connect.js';
import { apis, environments, plans } from '../db/schema.js';
import { startControlPlane } from '../server.js';

describe('secret key at start-up (embedded database)', () => {
  it('creates the key file once, refuses a missing or wrong key, starts again with the right one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gh-cp-key-'));
    const dataDir = path.join(dir, 'data');
    const keyFile = path.join(dataDir, 'secret.key');
    const start = (secretKey: { key?: string; file?: string }) =>
      startControlPlane({
        port: 0,
        dataDir,
        secretKey,
        logger: silentLogger(),
        adminPassword: 'a-long-enough-password',
      });

    const first = await start({});
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const stored = rowsOf<{ private_key_pem: string }>(
      await first.db.execute(sql`SELECT private_key_pem FROM signing_keys`),
    );
    expect(stored[0]!.private_key_pem).toMatch(/^ghsb:v1:/);
    // A definition written in clear (as by a version without encryption at rest).
    const [env] = await first.db.select({ id: environments.id }).from(environments).limit(1);
    const apiPk = randomUUID();
    await first.db.insert(apis).values({
      pk: apiPk,
      envId: env!.id,
      slug: 'legacy',
      name: 'Legacy',
      basePath: '/legacy',
      upstream: { targets: [{ url: 'http://127.0.0.1:9' }] },
      policies: [],
      tags: [],
      shardingTags: [],
      lifecycle: 'draft',
      visibility: 'private',
    });
    await first.db.insert(plans).values({
      pk: randomUUID(),
      apiPk,
      slug: 'jwt',
      name: 'jwt',
      securityType: 'jwt',
      securityConfig: { secret: 'legacy-clear-secret-0123456789abcdef' },
      policies: [],
      approval: 'auto',
      status: 'published',
    });
    await first.close();
    const key = (await readFile(keyFile, 'utf8')).trim();

    await expect(start({ key: randomBytes(32).toString('base64') })).rejects.toThrow(
      /sealed under key .* but the configured key is/,
    );
    await rm(keyFile);
    await expect(start({})).rejects.toThrow(/holds encrypted secrets but no key is configured/);

    const again = await start({ key });
    const [plan] = await again.db.select({ config: plans.securityConfig }).from(plans);
    expect((plan!.config as { secret: string }).secret).toMatch(/^ghsb:v1:/);
    await again.close();
  }, 180_000);
});
