/**
 * `npm run bench:analytics`: analytics at scale (issue #16 section 3), on PostgreSQL and on PGlite.
 *  1. Ingest: SENDERS concurrent gateway-protocol clients post 5,000-record batches for SECONDS;
 *     records/s (overall and per 5 s window), CPU per record of the control plane and of the
 *     PostgreSQL backends of its protocol pool (from /proc: the control plane runs alone in its
 *     process; with PGlite the database runs inside it and is counted there), the cores each side
 *     obtained, the load average, and the projection "cores needed for 20,000/s" = 20,000 x (control
 *     plane + PostgreSQL µs a record): on a busy machine the rate is what the processes were given,
 *     the CPU a record is what carries over. Then exactness: raw rows, minute rollups and accepted
 *     records agree, and a replayed batch adds nothing.
 *  2. Query: rollups for 24 h of 100 million requests written directly (180 keys a minute), then
 *     the 24 h dashboard query (hourly buckets, grouped by application) and 6 h at 1 minute, median
 *     of 5 over HTTP.
 *  3. Starvation: heartbeat latency while 10 clients loop the heaviest query allowed (24 h at 1 minute),
 *     against heartbeats alone.
 * Knobs: BENCH_SECONDS (15), BENCH_SENDERS (4), BENCH_RATE_CEILING (60000: batches are built for
 * that rate), BENCH_BACKENDS (postgres,pglite), DATABASE_URL,
 * BENCH_PHASES (ingest,query,starvation), BENCH_CPU_PROF (a directory: the control plane runs under
 * node --cpu-prof and writes its profile there on exit).
 * The machine may be shared: figures are indicative.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Database, openDatabase } from '@gatehouse/control-plane';
import pg from 'pg';
import { SYNTHETIC_REQUESTS, syntheticRollupsSql } from './analytics-data.js';
import { cpuSeconds, freePort } from './processes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const RATE_CEILING = Number(process.env.BENCH_RATE_CEILING ?? 60_000);
const SENDERS = Number(process.env.BENCH_SENDERS ?? 4);
const BATCH = 5000;
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'postgres,pglite').split(',');
const PHASES = new Set((process.env.BENCH_PHASES ?? 'ingest,query,starvation').split(','));
const CPU_PROF = process.env.BENCH_CPU_PROF;

type Json = Record<string, any>;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (v: number) => Math.round(v * 10) / 10;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))]!;

async function call(base: string, method: string, url: string, token: string | undefined, body?: unknown) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : {}) as Json;
}

interface Target {
  base: string;
  pid: number | undefined;
  admin: string;
  gateway: string;
  /** SQL on the control plane's database (PostgreSQL only). */
  sql?: pg.Client;
  /** PGlite: runs `fn` on the database while the control plane is stopped, then restarts it. */
  offline<T>(fn: (db: Database) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

async function start(backend: string): Promise<Target> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BENCH_PORT: String(await freePort()),
    BENCH_SECRET_KEY: randomBytes(32).toString('base64'),
  };
  let cleanup: () => Promise<void>;
  let client: pg.Client | undefined;
  if (backend === 'postgres') {
    const schema = `gh_bench_${randomUUID().slice(0, 8)}`;
    client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path TO ${schema}`);
    Object.assign(env, { BENCH_DATABASE_URL: DATABASE_URL, BENCH_DATABASE_SCHEMA: schema });
    cleanup = async () => {
      await client!.query(`DROP SCHEMA ${schema} CASCADE`);
      await client!.end();
    };
  } else {
    const dir = await mkdtemp(path.join(tmpdir(), 'gh-bench-analytics-'));
    env.BENCH_DATA_DIR = dir;
    cleanup = () => rm(dir, { recursive: true, force: true });
  }
  const spawnControlPlane = async () => {
    const profile = CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : [];
    const child = spawn(process.execPath, [...profile, path.join(here, 'analytics-control-plane.js')], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('READY')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`control plane exited with ${code}`)));
    });
    child.stdout.resume();
    return child;
  };
  const kill = (child: ReturnType<typeof spawn>) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  let child = await spawnControlPlane();
  const base = `http://127.0.0.1:${env.BENCH_PORT}`;
  const admin = (
    await call(base, 'POST', '/api/v1/auth/login', undefined, {
      email: 'bench@example.test',
      password: 'bench-analytics-password',
    })
  ).token as string;
  const gateway = (await call(base, 'POST', '/api/v1/environments/default/gateways', admin, { name: 'bench' }))
    .token as string;
  const target: Target = {
    base,
    pid: child.pid,
    admin,
    gateway,
    ...(client ? { sql: client } : {}),
    async offline(fn) {
      await kill(child);
      const handle = await openDatabase({ dataDir: env.BENCH_DATA_DIR });
      try {
        return await fn(handle.db);
      } finally {
        await handle.close();
        child = await spawnControlPlane();
        target.pid = child.pid;
      }
    },
    async stop() {
      await kill(child);
      await cleanup();
    },
  };
  return target;
}

/** One batch body: 5,000 records over the last few minutes, 180 keys (api, application, status). */
function batchBody(): string {
  const now = Date.now();
  const records = Array.from({ length: BATCH }, (_, i) => {
    const app = i % 30;
    return {
      id: randomUUID(),
      time: new Date(now - (i % 180) * 1000).toISOString(),
      api: `api-${(app + (i % 2)) % 10}`,
      plan: app % 2 ? 'gold' : 'free',
      application: `00000000-0000-4000-8000-${String(app).padStart(12, '0')}`,
      subscription: null,
      method: 'GET',
      route: 'GET /items/:id',
      status: i % 50 === 0 ? 500 : i % 20 === 0 ? 404 : 200,
      latencyMs: 1 + ((i * 7919) % 400) / 10,
      upstreamLatencyMs: 1,
      bytesIn: 0,
      bytesOut: 512,
      clientIp: '203.0.113.0',
      errorCode: i % 50 === 0 ? 'upstream_unavailable' : null,
    };
  });
  return JSON.stringify({ records });
}

/** The target: 20,000 records/s sustained, the control plane under half a core for it. */
const TARGET_RATE = 20_000;
const WINDOW_S = 5;
const round2 = (v: number) => Math.round(v * 100) / 100;

async function ingest(t: Target, backend: string): Promise<Json> {
  // Bodies built ahead (the senders are not what is measured); each is sent once. Sized for
  // RATE_CEILING records/s: a faster control plane runs out of batches before SECONDS and the run
  // reports its shorter duration (a quiet 2-core VM reached 54,000/s on PostgreSQL).
  const perSender = Math.ceil((SECONDS * RATE_CEILING) / BATCH / SENDERS) + 2;
  const bodies = Array.from({ length: SENDERS }, () => Array.from({ length: perSender }, batchBody));
  // Warm-up batch (partitions, JIT).
  const warm = batchBody();
  await call(t.base, 'POST', '/api/v1/gateway/analytics', t.gateway, warm);
  const load0 = loadavg()[0]!;
  const db0 = await databaseCpu(t);
  const cpu0 = cpuSeconds(t.pid) ?? 0;
  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  let accepted = 0;
  // Records/s per window, to show whether the rate held over the run rather than its average only.
  const windows: number[] = [];
  let windowStart = accepted;
  const ticker = setInterval(() => {
    windows.push(Math.round((accepted - windowStart) / WINDOW_S));
    windowStart = accepted;
  }, WINDOW_S * 1000);
  await Promise.all(
    bodies.map(async (list) => {
      for (const body of list) {
        if (performance.now() > deadline) break;
        const answer = await call(t.base, 'POST', '/api/v1/gateway/analytics', t.gateway, body);
        accepted += answer.accepted as number;
      }
    }),
  );
  clearInterval(ticker);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (cpuSeconds(t.pid) ?? 0) - cpu0;
  const db1 = await databaseCpu(t);
  const load1 = loadavg()[0]!;
  let dbCpu = 0;
  for (const [pid, seconds] of db1) dbCpu += seconds - (db0.get(pid) ?? 0);
  const replay = await call(t.base, 'POST', '/api/v1/gateway/analytics', t.gateway, warm);
  const cpUs = (cpu / accepted) * 1e6;
  const pgUs = (dbCpu / accepted) * 1e6;
  // With PGlite the database runs inside the control plane: its CPU is already in cpUs.
  const coresFor20k = (TARGET_RATE * (cpUs + (t.sql ? pgUs : 0))) / 1e6;
  const rate = Math.round(accepted / seconds);
  const result: Json = {
    backend,
    senders: SENDERS,
    batch: BATCH,
    seconds: Math.round(seconds),
    loadAverage: { start: load0, end: load1, cores: availableParallelism() },
    recordsPerSecond: rate,
    [`recordsPerSecondEach${WINDOW_S}s`]: windows,
    // The share of a core each side actually got: on a busy machine the rate is this over µs a record.
    controlPlaneCoresObtained: round2(cpu / seconds),
    ...(t.sql ? { postgresCoresObtained: round2(dbCpu / seconds) } : {}),
    controlPlaneCpuUsPerRecord: Math.round(cpUs * 10) / 10,
    ...(t.sql ? { postgresCpuUsPerRecord: Math.round(pgUs * 10) / 10 } : {}),
    controlPlaneCoresAt20k: round2((TARGET_RATE * cpUs) / 1e6),
    coresNeededFor20k: round2(coresFor20k),
    sustained20k:
      rate >= TARGET_RATE && windows.every((w) => w >= TARGET_RATE)
        ? 'met'
        : `not shown here (${rate}/s); needs ${round2(coresFor20k)} cores free for ${t.sql ? 'control plane + PostgreSQL' : 'the control plane with PGlite'}`,
    replayOfWarmBatch: replay,
  };
  if (t.sql) {
    const raw = await t.sql.query('SELECT count(*)::bigint AS n FROM analytics_requests');
    const minute = await t.sql.query('SELECT sum(count)::bigint AS n FROM analytics_rollups WHERE grain = 60');
    const hour = await t.sql.query('SELECT sum(count)::bigint AS n FROM analytics_rollups WHERE grain = 3600');
    result.exact = {
      sent: accepted + BATCH,
      rawRows: Number(raw.rows[0].n),
      minuteRollups: Number(minute.rows[0].n),
      hourRollups: Number(hour.rows[0].n),
    };
  }
  return result;
}

/** CPU seconds of the PostgreSQL backends serving the control plane's gateway-protocol pool. */
async function databaseCpu(t: Target): Promise<Map<number, number>> {
  const cpu = new Map<number, number>();
  if (!t.sql) return cpu;
  const rows = (await t.sql.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'gatehouse-protocol'"))
    .rows as Array<{ pid: number }>;
  for (const { pid } of rows) cpu.set(pid, cpuSeconds(pid) ?? 0);
  return cpu;
}

async function queries(t: Target, backend: string): Promise<Json> {
  const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
  const to = day - 86_400_000 * 2;
  const from = to - 86_400_000;
  const written0 = performance.now();
  let rows: number;
  if (t.sql) {
    const envId = (await t.sql.query("SELECT id FROM environments WHERE slug = 'default'")).rows[0].id as string;
    await t.sql.query(syntheticRollupsSql(envId, from));
    await t.sql.query('ANALYZE analytics_rollups');
    rows = Number((await t.sql.query('SELECT count(*) AS n FROM analytics_rollups')).rows[0].n);
  } else {
    // PGlite is one process's: stop the control plane, write through the same embedded database, restart.
    rows = await t.offline(async (db) => {
      const env = (await db.execute("SELECT id FROM environments WHERE slug = 'default'")) as unknown as {
        rows: Array<{ id: string }>;
      };
      await db.execute(syntheticRollupsSql(env.rows[0]!.id, from));
      await db.execute('ANALYZE analytics_rollups');
      const result = (await db.execute('SELECT count(*) AS n FROM analytics_rollups')) as unknown as {
        rows: Array<{ n: string }>;
      };
      return Number(result.rows[0]!.n);
    });
  }
  const writeSeconds = (performance.now() - written0) / 1000;
  const range = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
  const timed = async (url: string) => {
    const times: number[] = [];
    let body: Json = {};
    let failed = '';
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      try {
        body = await call(t.base, 'GET', url, t.admin);
      } catch (error) {
        failed = String(error).slice(0, 120);
      }
      times.push(performance.now() - t0);
    }
    return {
      medianMs: ms(median(times)),
      maxMs: ms(Math.max(...times)),
      total: body.total,
      p99: body.latency?.p99,
      ...(failed ? { failed } : {}),
    };
  };
  const env = '/api/v1/environments/default/analytics/requests';
  return {
    backend,
    syntheticRequests: SYNTHETIC_REQUESTS,
    rollupRows: rows,
    writeSeconds: Math.round(writeSeconds),
    day24hGroupedByApplication: await timed(`${env}?${range}&groupBy=application`),
    day24h: await timed(`${env}?${range}`),
    hours6At1m: await timed(
      `${env}?from=${new Date(to - 6 * 3_600_000).toISOString()}&to=${new Date(to).toISOString()}&interval=1m`,
    ),
    day24hAt1m: await timed(`${env}?${range}&interval=1m&groupBy=api`),
  };
}

async function starvation(t: Target, backend: string): Promise<Json> {
  const heartbeat = async () => {
    const t0 = performance.now();
    await call(t.base, 'POST', '/api/v1/gateway/heartbeat', t.gateway, { instanceId: 'bench', uptimeSeconds: 1 });
    return performance.now() - t0;
  };
  const beats = async (seconds: number) => {
    const times: number[] = [];
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      times.push(await heartbeat());
      await sleep(100);
    }
    return times;
  };
  const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
  const to = day - 86_400_000 * 2;
  const url = `/api/v1/environments/default/analytics/requests?from=${new Date(to - 86_400_000).toISOString()}&to=${new Date(to).toISOString()}&interval=1m&groupBy=application`;
  const idle = await beats(5);
  let stop = false;
  let heavy = 0;
  let failed = 0;
  const heavyTimes: number[] = [];
  const loops = Array.from({ length: 10 }, async () => {
    while (!stop) {
      const t0 = performance.now();
      try {
        await call(t.base, 'GET', url, t.admin);
        heavy++;
        heavyTimes.push(performance.now() - t0);
      } catch {
        failed++;
      }
    }
  });
  await sleep(500);
  const loaded = await beats(10);
  stop = true;
  await Promise.all(loops);
  return {
    backend,
    heartbeatIdle: { p50: ms(quantile(idle, 0.5)), p99: ms(quantile(idle, 0.99)), max: ms(Math.max(...idle)) },
    heartbeatUnder10HeavyQueries: {
      p50: ms(quantile(loaded, 0.5)),
      p99: ms(quantile(loaded, 0.99)),
      max: ms(Math.max(...loaded)),
    },
    heavyQueriesDone: heavy,
    heavyQueryMedianMs: heavyTimes.length ? ms(median(heavyTimes)) : null,
    heavyQueriesFailed: failed,
  };
}

async function main(): Promise<void> {
  const results: Json[] = [];
  for (const backend of BACKENDS) {
    const t = await start(backend);
    try {
      if (PHASES.has('ingest')) {
        const ingestResult = await ingest(t, backend);
        console.log(JSON.stringify(ingestResult));
        results.push(ingestResult);
      }
      if (PHASES.has('query')) {
        const queryResult = await queries(t, backend);
        console.log(JSON.stringify(queryResult));
        results.push(queryResult);
      }
      if (PHASES.has('starvation')) {
        const starvationResult = await starvation(t, backend);
        console.log(JSON.stringify(starvationResult));
        results.push(starvationResult);
      }
    } finally {
      await t.stop();
    }
  }
}

await main();
