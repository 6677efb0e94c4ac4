/**
 * A control plane in its own process for bench:analytics, so its CPU is read from /proc alone.
 * Env: BENCH_DATABASE_URL (+ BENCH_DATABASE_SCHEMA) for PostgreSQL, else PGlite under BENCH_DATA_DIR.
 * Prints `READY <port>`.
 */
import { randomBytes } from 'node:crypto';
import { startControlPlane } from '@gatehouse/control-plane';
import { silentLogger } from '@gatehouse/core';

const url = process.env.BENCH_DATABASE_URL;
const cp = await startControlPlane({
  port: Number(process.env.BENCH_PORT ?? 0),
  ...(url ? { databaseUrl: url, databaseSchema: process.env.BENCH_DATABASE_SCHEMA } : {}),
  dataDir: process.env.BENCH_DATA_DIR,
  adminEmail: 'bench@example.test',
  adminPassword: 'bench-analytics-password',
  // The bench restarts PGlite control planes on the same data: the key must stay the same.
  secretKey: { key: process.env.BENCH_SECRET_KEY ?? randomBytes(32).toString('base64') },
  logger: silentLogger(),
  analyticsRetentionMs: 0,
});
process.stdout.write(`READY ${cp.port}\n`);
const stop = () => void cp.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
