/**
 * What the console's and the portal's speed benchmarks share (`@gatehouse/ui/testing/bench`): the
 * initial-JavaScript measure, the median, and a control plane (PostgreSQL in a fresh schema from
 * DATABASE_URL, else embedded PGlite) with the system Chromium, torn down by `close()`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startControlPlane } from '@gatehouse/control-plane';
import { silentLogger } from '@gatehouse/core';
import pg from 'pg';
import { chromium } from 'playwright-core';

/** The JavaScript index.html loads before any screen (entry + modulepreloads), raw and gzipped as served. */
export function initialJs(dist, base) {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const pattern = new RegExp(`(?:src|href)="/${base}/(assets/[^"]+\\.js)"`, 'g');
  const files = [...html.matchAll(pattern)].map((m) => m[1]);
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const body = readFileSync(join(dist, file));
    raw += body.length;
    gzip += gzipSync(body, { level: 9 }).length;
  }
  return { files, raw, gzip };
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function sql(databaseUrl, statement) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(statement);
  await client.end();
}

/** A control plane with `admin` as its first administrator, the browser, and the bearer token of the admin. */
export async function startBenchStack(name, admin) {
  const databaseUrl = process.env.DATABASE_URL;
  const schema = `gh_${name}_bench_${randomBytes(4).toString('hex')}`;
  const dataDir = databaseUrl ? undefined : mkdtempSync(join(tmpdir(), `gatehouse-${name}-bench-`));
  if (databaseUrl) await sql(databaseUrl, `CREATE SCHEMA ${schema}`);
  const cp = await startControlPlane({
    port: 0,
    // PostgreSQL needs a key for secrets at rest; a fresh one per run is enough here.
    ...(databaseUrl
      ? { databaseUrl, databaseSchema: schema, secretKey: { key: randomBytes(32).toString('base64') } }
      : { dataDir }),
    adminEmail: admin.email,
    adminPassword: admin.password,
    logger: silentLogger(),
    analyticsRetentionMs: 0,
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const login = await fetch(`${cp.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(admin),
  });
  const { token } = await login.json();
  return {
    cp,
    browser,
    token,
    database: databaseUrl ? 'postgres' : 'pglite',
    async close() {
      await browser.close();
      await cp.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      if (databaseUrl) await sql(databaseUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}
