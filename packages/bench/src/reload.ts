/**
 * `npm run bench:reload`: p99 of steady traffic while the gateway hot-reloads a Stripe-sized OpenAPI
 * document (synthetic, ~4.8 MB JSON: 420 paths x 3 operations, 700 component schemas with $ref
 * cycles), against the same traffic without a reload. The gateway runs in its own process with
 * `openapi-validation` on the API; a fixed-rate open-loop client (open-loop.ts) measures latency,
 * so a frozen event loop shows up as the queue of late answers it causes. Also reports start time
 * (spawn to listening) and, per phase, the longest event-loop block inside the gateway (loop-probe.ts).
 * Then the same in hybrid mode (BENCH_HYBRID=0 skips it, BENCH_FILE=0 runs only it): the document inline
 * in control-plane snapshots.
 * Knobs: BENCH_RATE (200), BENCH_SECONDS (12), BENCH_RELOADS (3); BENCH_GATEWAY_CLI runs another
 * build's CLI (e.g. a checkout of main) for before/after figures.
 */
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { syntheticOpenApi } from '@gatehouse/policies/testing';
import { stringify } from 'yaml';
import { latencyAtRate } from './load.js';
import { freePort, startProcess } from './processes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = process.env.BENCH_GATEWAY_CLI ?? path.resolve(here, '../../cli/dist/main.js');
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 12);
const RELOADS = Number(process.env.BENCH_RELOADS ?? 3);

const HYBRID = process.env.BENCH_HYBRID !== '0';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Proc = Awaited<ReturnType<typeof startProcess>>;
type Measured = Awaited<ReturnType<typeof latencyAtRate>> & { loop: { maxMs: number; p99Ms: number } };

/** The gateway's longest event-loop block (and p99 delay) since the last call (loop-probe.ts). */
async function loopBlockOf(gateway: Proc, probeFile: string): Promise<{ maxMs: number; p99Ms: number }> {
  await rm(probeFile, { force: true });
  gateway.child.kill('SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await sleep(50);
    const text = await readFile(probeFile, 'utf8').catch(() => '');
    if (text) return JSON.parse(text) as { maxMs: number; p99Ms: number };
  }
  throw new Error('the gateway did not report its event-loop delay');
}

function table(rows: Array<[string, Measured]>): string {
  const head = `${'traffic'.padEnd(24)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'p99.9 ms'.padStart(10)}${'max ms'.padStart(9)}${'errors'.padStart(8)}${'loop max ms'.padStart(13)}\n`;
  return (
    head +
    rows
      .map(
        ([label, r]) =>
          `${label.padEnd(24)}${r.p50.toFixed(2).padStart(9)}${r.p99.toFixed(2).padStart(9)}${r.p999.toFixed(2).padStart(10)}${r.max.toFixed(2).padStart(9)}${String(r.errors).padStart(8)}${r.loop.maxMs.toFixed(1).padStart(13)}`,
      )
      .join('\n') +
    '\n'
  );
}

/**
 * A one-worker gateway started by the CLI with `args` and the event-loop probe loaded; `startMs` is
 * spawn to listening.
 */
async function startGateway(dir: string, name: string, args: string[]) {
  const port = await freePort();
  const probeFile = path.join(dir, `loop-probe-${name}.json`);
  const started = performance.now();
  const gateway = await startProcess(
    process.execPath,
    [
      '--import',
      pathToFileURL(path.join(here, 'loop-probe.js')).href,
      cli,
      'gateway',
      ...args,
      '--port',
      String(port),
      '--admin-port',
      String(await freePort()),
      '--host',
      '127.0.0.1',
      '--workers',
      '1',
    ],
    // A loaded machine can take long to start on a 4.8 MB document.
    { port, timeoutMs: 120_000 },
    { ...process.env, LOG_LEVEL: 'warn', GATEHOUSE_LOOP_PROBE: probeFile },
  );
  return {
    gateway,
    started,
    startMs: performance.now() - started,
    url: `http://127.0.0.1:${port}/api/v1/resource_1?limit=5&created[gt]=100`,
    loopBlock: () => loopBlockOf(gateway, probeFile),
  };
}

type Gateway = Awaited<ReturnType<typeof startGateway>>;

/** Traffic without reloads, after a warm-up (the operation under traffic compiles on its first request). */
async function steady({ url, loopBlock }: Gateway): Promise<Measured> {
  await latencyAtRate(url, {}, 2, RATE);
  await loopBlock();
  return { ...(await latencyAtRate(url, {}, SECONDS, RATE)), loop: await loopBlock() };
}

let reloads = 0;
/** Traffic with RELOADS reloads spread over it; `reload(n)` triggers the nth (counted over all phases). */
async function duringReloads({ url, loopBlock }: Gateway, reload: (n: number) => Promise<void>): Promise<Measured> {
  const reloading = latencyAtRate(url, {}, SECONDS, RATE);
  for (let i = 1; i <= RELOADS; i++) {
    await sleep((SECONDS * 1000) / (RELOADS + 1));
    await reload(++reloads);
  }
  return { ...(await reloading), loop: await loopBlock() };
}

/**
 * Hybrid mode: the same document inline in a signed snapshot from a minimal control plane
 * (reload-control-plane.ts, its own process); each reload is a deploy of a changed document that the
 * gateway receives over its change stream, verifies, prepares and swaps in.
 */
async function hybrid(dir: string, upstreamUrl: string): Promise<string> {
  const cpPort = await freePort();
  const token = 'gw_bench_reload_token_0123456789';
  const cp = await startProcess(
    process.execPath,
    [path.join(here, 'reload-control-plane.js'), String(cpPort), upstreamUrl, path.join(dir, 'openapi.json'), token],
    { line: 'READY', timeoutMs: 120_000 },
  );
  const gw = await startGateway(dir, 'hybrid', [
    '--control-plane',
    `http://127.0.0.1:${cpPort}`,
    '--token',
    token,
    '--backup',
    'off',
    '--backup-dir',
    path.join(dir, 'hybrid-state'),
  ]);
  try {
    // Listening comes first; the first snapshot is applied after it (503 until then).
    for (
      let i = 0;
      i < 1200 &&
      (await fetch(gw.url)
        .then((r) => r.status)
        .catch(() => 0)) !== 200;
      i++
    )
      await sleep(100);
    const readyMs = performance.now() - gw.started;
    const quiet = await steady(gw);
    const during = await duringReloads(gw, async () => {
      cp.child.kill('SIGHUP');
    });
    return (
      `hybrid: first snapshot served ${readyMs.toFixed(0)} ms after spawn\n` +
      table([
        ['hybrid, no deploy', quiet],
        ['hybrid, deploys, new doc', during],
      ])
    );
  } finally {
    await gw.gateway.stop();
    await cp.stop();
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gh-bench-reload-'));
  const openapiText = JSON.stringify(syntheticOpenApi());
  await writeFile(path.join(dir, 'openapi.json'), openapiText);
  const upstreamPort = await freePort();
  const upstream = await startProcess(process.execPath, [path.join(here, 'upstream-server.js'), String(upstreamPort)], {
    line: 'READY',
  });
  if (process.env.BENCH_FILE === '0') {
    // Hybrid phase only (before/after runs of the hybrid path).
    try {
      process.stdout.write(await hybrid(dir, `http://127.0.0.1:${upstreamPort}`));
    } finally {
      await upstream.stop();
      await rm(dir, { recursive: true, force: true });
    }
    return;
  }
  const config = path.join(dir, 'gateway.yaml');
  await writeFile(
    config,
    stringify({
      version: 1,
      apis: [
        {
          id: 'stripe-like',
          name: 'Stripe-like',
          basePath: '/api',
          openapi: 'openapi.json',
          upstream: { targets: [{ url: `http://127.0.0.1:${upstreamPort}` }] },
          plans: [{ id: 'open', security: { type: 'keyless' } }],
          policies: [{ policy: 'openapi-validation', config: { unknownOperations: 'reject' } }],
        },
      ],
    }),
  );
  const gw = await startGateway(dir, 'file', ['--config', config]);
  try {
    const quiet = await steady(gw);
    const reloadFile = (changeDocument: boolean) => async (n: number) => {
      if (changeDocument) {
        // A new version of the document: parsed, checked and indexed again.
        await writeFile(path.join(dir, 'openapi.json'), openapiText.replace('"2026-01-01"', `"2026-01-${n}"`));
      }
      // A changed config file: the gateway recompiles the config (the policy re-reads the document).
      await appendFile(config, `# reload ${n}\n`);
      gw.gateway.child.kill('SIGHUP');
    };
    const during = await duringReloads(gw, reloadFile(false));
    const duringChanged = await duringReloads(gw, reloadFile(true));
    const size = (Buffer.byteLength(openapiText) / 1e6).toFixed(1);
    process.stdout.write(
      `reload benchmark: ${size} MB OpenAPI document, ${RATE} req/s for ${SECONDS} s, ${RELOADS} reloads\n` +
        `start (spawn to listening): ${gw.startMs.toFixed(0)} ms\n` +
        table([
          ['no reload', quiet],
          ['reloads, same doc', during],
          ['reloads, new doc', duringChanged],
        ]),
    );
    await gw.gateway.stop();
    await writeFile(path.join(dir, 'openapi.json'), openapiText);
    if (HYBRID) process.stdout.write(await hybrid(dir, `http://127.0.0.1:${upstreamPort}`));
  } finally {
    await gw.gateway.stop();
    await upstream.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
