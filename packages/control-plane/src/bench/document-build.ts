/**
 * How long one served-document build holds the control plane's event loop, and its CPU, with
 * `--keys` API keys (default 100,000; 10 per application, bulk-inserted): the in-loop build as it
 * was (`inline`: compile, canonicalJson, digest on the main thread, gzip on the libuv pool) against
 * the off-loop build (`worker`: rows read in pages and posted to the document-build worker), and the
 * deploy-time check in-loop (`check-inline`: compileEnvironmentConfig, which validates the whole
 * document) against off-loop (`check-worker`: checkEnvironmentConfig), in
 * alternating rounds after one warm-up of each. Loop delay from perf_hooks monitorEventLoopDelay
 * (1 ms resolution) over each build; CPU from process.threadCpuUsage (main thread) and
 * process.cpuUsage (every thread).
 *
 *   node packages/control-plane/dist/bench/document-build.js [--keys 100000] [--rounds 3] [--modes inline,worker,check-inline,check-worker]
 *   DATABASE_URL=postgres://... node packages/control-plane/dist/bench/document-build.js
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { digestOf } from '@gatehouse/config';
import { canonicalJson, SecretBox } from '@gatehouse/core';
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { bootstrap } from '../bootstrap.js';
import { buildEnvironmentDocument, compileEnvironmentConfig } from '../compiler/compile.js';
import { checkEnvironmentConfig } from '../compiler/config-check.js';
import { buildServedDocument, buildsOffTheLoop, stopDocumentBuilds } from '../compiler/document-build.js';
import { openDatabase } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import { environments } from '../db/schema.js';
import { createDemoSetup } from '../demo.js';
import { installSecretBox } from '../secrets/keyring.js';
import { seedApiKeys } from './delta-bytes.js';

const gzip = promisify(gzipCallback);
const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    modes: { type: 'string', default: 'inline,worker,check-inline,check-worker' },
  },
});
const threadCpu = () => (process as unknown as { threadCpuUsage(): NodeJS.CpuUsage }).threadCpuUsage();
const ms = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/**
 * The most main-thread CPU spent between two runs of a 1 ms timer: an upper bound of the longest
 * event-loop turn that does not grow with machine load (the loop delay does: a runnable thread
 * waits for a core).
 */
function longestTurn(): { stop(): number } {
  let last = ms(threadCpu());
  let longest = 0;
  const timer = setInterval(() => {
    const now = ms(threadCpu());
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(longest, ms(threadCpu()) - last);
    },
  };
}

type Mode = 'inline' | 'worker' | 'check-inline' | 'check-worker';
const modes = values.modes.split(',') as Mode[];

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  let schema: string | undefined;
  if (databaseUrl) {
    schema = `gh_docbuild_bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
  }
  const handle = await openDatabase({ databaseUrl, searchPath: schema });
  const db = handle.db;
  try {
    await migrate(db);
    await bootstrap(db, { adminEmail: 'bench@example.test', adminPassword: 'bench-password-long-enough' });
    installSecretBox(new SecretBox(randomBytes(32)));
    const demo = await createDemoSetup({ db }, { upstreamUrl: 'http://127.0.0.1:9' });
    await seedApiKeys(db, demo.environment, Number(values.keys));
    const [env] = await db
      .select({ id: environments.id })
      .from(environments)
      .where(eq(environments.slug, demo.environment));
    const envId = env!.id;

    const run: Record<Mode, () => Promise<number>> = {
      inline: async () => {
        const { document } = await buildEnvironmentDocument(db, envId, { shardTags: [] });
        const bytes = Buffer.from(canonicalJson(document));
        digestOf(bytes);
        await gzip(bytes);
        return bytes.length;
      },
      worker: async () => (await buildServedDocument(db, envId, { shardTags: [] })).bytes.length,
      'check-inline': async () => {
        await compileEnvironmentConfig(db, envId);
        return 0;
      },
      'check-worker': async () => {
        await checkEnvironmentConfig(db, envId);
        return 0;
      },
    };
    console.log(
      `document-build: ${values.keys} keys on ${handle.kind}, worker script ${buildsOffTheLoop() ? 'found' : 'MISSING (worker mode runs in-process)'}`,
    );
    // What the 1 ms ticker itself costs the main thread (included in the main-thread CPU below).
    const idle0 = ms(threadCpu());
    const idleTicks = longestTurn();
    await new Promise((r) => setTimeout(r, 2000));
    idleTicks.stop();
    console.log(
      `the 1 ms ticker alone: ${((ms(threadCpu()) - idle0) / 2).toFixed(0)} ms of main-thread CPU per second`,
    );
    const rounds = Number(values.rounds);
    for (let round = 0; round <= rounds; round++) {
      for (const mode of round % 2 === 0 ? modes : [...modes].reverse()) {
        const histogram = monitorEventLoopDelay({ resolution: 1 });
        const turns = longestTurn();
        const main0 = threadCpu();
        const all0 = process.cpuUsage();
        const t0 = performance.now();
        histogram.enable();
        const size = await run[mode]();
        histogram.disable();
        const turnCpu = turns.stop();
        const wall = performance.now() - t0;
        const mainCpu = ms(threadCpu()) - ms(main0);
        const allCpu = ms(process.cpuUsage(all0));
        const load = (await import('node:os')).loadavg()[0]!.toFixed(1);
        console.log(
          `${round === 0 ? 'warm-up' : `round ${round}`} ${mode.padEnd(12)} ${(size / 1024 / 1024).toFixed(1)} MiB: wall ${wall.toFixed(0)} ms; ` +
            `loop delay max ${(histogram.max / 1e6).toFixed(1)} ms, p99 ${(histogram.percentile(99) / 1e6).toFixed(1)} ms, ` +
            `longest main-thread CPU between 1 ms ticks ${turnCpu.toFixed(1)} ms; ` +
            `CPU main thread ${mainCpu.toFixed(0)} ms, all threads ${allCpu.toFixed(0)} ms; load ${load}`,
        );
      }
    }
  } finally {
    await stopDocumentBuilds();
    if (schema) await db.execute(sql.raw(`DROP SCHEMA ${schema} CASCADE`));
    await handle.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
