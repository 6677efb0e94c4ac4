/**
 * The control plane of the fleet benchmark (packages/bench/src/fleet.ts), in its own process so
 * its CPU time can be read from /proc: one real control plane (PostgreSQL in a fresh schema when
 * DATABASE_URL is set, else embedded PGlite) with the demo APIs, `--gateways N` registered
 * gateways and `--keys K` extra API keys. Prints one JSON line with what the simulated gateways
 * need, then serves until SIGTERM.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SecretBox, silentLogger } from '@gatehouse/core';
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { buildApp } from '../app.js';
import { bootstrap } from '../bootstrap.js';
import { openDatabase } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import { subscriptions } from '../db/schema.js';
import { adminScope, createDemoSetup } from '../demo.js';
import { createKey } from '../services/api-keys.js';
import { registerGateway } from '../services/gateways.js';
import { seedApiKeys } from './delta-bytes.js';

export interface FleetServerInfo {
  url: string;
  backend: string;
  environment: string;
  adminEmail: string;
  adminPassword: string;
  subscriptionId: string;
  /** Keys the benchmark revokes, one per round. */
  revocableKeyIds: string[];
  tokens: string[];
  pid: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      gateways: { type: 'string', default: '1000' },
      keys: { type: 'string', default: '0' },
      'heartbeat-interval-ms': { type: 'string', default: '60000' },
      'revocable-keys': { type: 'string', default: '1' },
      /** Paced fan-out window (0: every stream told at once, as before the pacing). */
      'fan-out-window': { type: 'string' },
    },
  });
  const gatewayCount = Number(values.gateways);
  const databaseUrl = process.env.DATABASE_URL;
  let schema: string | undefined;
  if (databaseUrl) {
    schema = `gh_fleet_bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
  }
  const handle = await openDatabase({ databaseUrl, searchPath: schema });
  const db = handle.db;
  await migrate(db);
  const adminEmail = 'fleet-bench@example.test';
  const adminPassword = 'fleet-bench-password-long-enough';
  const boot = await bootstrap(db, { adminEmail, adminPassword });
  const secretBox = new SecretBox(randomBytes(32));
  const app = await buildApp({
    db,
    orgId: boot.orgId,
    logger: silentLogger(),
    secretBox,
    heartbeatIntervalMs: Number(values['heartbeat-interval-ms']),
    ...(values['fan-out-window'] === undefined
      ? {}
      : { fanOut: { window: Number(values['fan-out-window']) || Number.POSITIVE_INFINITY } }),
  });
  const demo = await createDemoSetup({ db }, { upstreamUrl: 'http://127.0.0.1:9', gatewayName: 'fleet-0' });
  const scope = await adminScope(db, demo.environment);
  const tokens = [demo.gatewayToken];
  for (let i = 1; i < gatewayCount; i++) tokens.push((await registerGateway(scope, { name: `fleet-${i}` })).token);
  const keys = Number(values.keys);
  if (keys > 0) await seedApiKeys(db, demo.environment, keys);
  const [sub] = await db
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(eq(subscriptions.applicationId, demo.applicationId))
    .limit(1);
  const revocableKeyIds: string[] = [];
  for (let i = 0; i < Number(values['revocable-keys']); i++)
    revocableKeyIds.push((await createKey(scope, sub!.id, {})).row.id);

  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const info: FleetServerInfo = {
    url,
    backend: handle.kind,
    environment: demo.environment,
    adminEmail,
    adminPassword,
    subscriptionId: sub!.id,
    revocableKeyIds,
    tokens,
    pid: process.pid,
  };
  process.stdout.write(`${JSON.stringify(info)}\n`);

  const shutdown = async () => {
    // Keep-alive connections of the simulated fleet would hold close() open.
    app.server.closeAllConnections();
    await app.close();
    if (schema) await db.execute(sql.raw(`DROP SCHEMA ${schema} CASCADE`));
    await handle.close();
    process.exit(0);
  };
  watchLoopTurns(app.server);
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}

/**
 * How long the event loop is busy between two chances to start something new, in CPU time of this
 * thread (so the machine's load does not enter): a 1 ms timer notes the thread's CPU time each time
 * it runs; the CPU spent between two runs is the work a request arriving then waited through before
 * the loop got to it. The benchmark asks for the figures of each fan-out over IPC (`turns`).
 */
function watchLoopTurns(server: import('node:http').Server): void {
  if (!process.send) return;
  // Syncs received and not answered when each management call arrives: the work queued ahead of it
  // (a count, whatever the machine's load).
  let syncsOpen = 0;
  let ahead: number[] = [];
  server.prependListener(
    'request',
    (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      const url = req.url ?? '';
      if (url.startsWith('/api/v1/gateway/sync')) {
        syncsOpen++;
        res.once('close', () => syncsOpen--);
      } else if (url.startsWith('/api/v1/environments/')) ahead.push(syncsOpen);
    },
  );
  const cpuMs = () => {
    // Node 23.9+; not yet in the @types/node this repository uses.
    const u = (process as unknown as { threadCpuUsage(): NodeJS.CpuUsage }).threadCpuUsage();
    return (u.user + u.system) / 1000;
  };
  let turns: number[] = [];
  let last = cpuMs();
  setInterval(() => {
    const now = cpuMs();
    turns.push(now - last);
    last = now;
  }, 1).unref();
  process.on('message', (message) => {
    if (message === 'turns-reset') {
      turns = [];
      ahead = [];
    } else if (message === 'turns') {
      process.send?.({ turns, ahead });
      turns = [];
      ahead = [];
    }
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
