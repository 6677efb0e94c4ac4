/**
 * `npm run bench:reload`: p99 of steady traffic while the gateway hot-reloads a Stripe-sized OpenAPI
 * document (synthetic, ~4.8 MB JSON: 420 paths x 3 operations, 700 component schemas with $ref
 * cycles), against the same traffic without a reload. The gateway runs in its own process with
 * `openapi-validation` on the API; a fixed-rate open-loop client (open-loop.ts) measures latency,
 * so a frozen event loop shows up as the queue of late answers it causes. Also reports start time
 * (spawn to listening). Knobs: BENCH_RATE (200), BENCH_SECONDS (12), BENCH_RELOADS (3).
 */
import { appendFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticOpenApi } from '@gatehouse/policies/testing';
import { stringify } from 'yaml';
import { latencyAtRate } from './load.js';
import { freePort, startProcess } from './processes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '../../cli/dist/main.js');
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 12);
const RELOADS = Number(process.env.BENCH_RELOADS ?? 3);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gh-bench-reload-'));
  const openapiText = JSON.stringify(syntheticOpenApi());
  await writeFile(path.join(dir, 'openapi.json'), openapiText);
  const upstreamPort = await freePort();
  const upstream = await startProcess(process.execPath, [path.join(here, 'upstream-server.js'), String(upstreamPort)], {
    line: 'READY',
  });
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
  const port = await freePort();
  const adminPort = await freePort();
  const started = performance.now();
  const gateway = await startProcess(
    process.execPath,
    [
      cli,
      'gateway',
      '--config',
      config,
      '--port',
      String(port),
      '--admin-port',
      String(adminPort),
      '--host',
      '127.0.0.1',
    ],
    { port },
    { ...process.env, LOG_LEVEL: 'warn' },
  );
  const startMs = performance.now() - started;
  const url = `http://127.0.0.1:${port}/api/v1/resource_1?limit=5&created[gt]=100`;
  try {
    // Warm-up: the operation under traffic compiles on its first request.
    await latencyAtRate(url, {}, 2, RATE);
    const steady = await latencyAtRate(url, {}, SECONDS, RATE);
    let reloads = 0;
    const measureReloads = async (changeDocument: boolean) => {
      const reloading = latencyAtRate(url, {}, SECONDS, RATE);
      const gap = (SECONDS * 1000) / (RELOADS + 1);
      for (let i = 1; i <= RELOADS; i++) {
        await sleep(gap);
        reloads++;
        if (changeDocument) {
          // A new version of the document: parsed, checked and indexed again.
          await writeFile(path.join(dir, 'openapi.json'), openapiText.replace('"2026-01-01"', `"2026-01-${reloads}"`));
        }
        // A changed config file: the gateway recompiles the config (the policy re-reads the document).
        await appendFile(config, `# reload ${reloads}\n`);
        gateway.child.kill('SIGHUP');
      }
      return reloading;
    };
    const during = await measureReloads(false);
    const duringChanged = await measureReloads(true);
    const size = (Buffer.byteLength(openapiText) / 1e6).toFixed(1);
    process.stdout.write(
      `reload benchmark: ${size} MB OpenAPI document, ${RATE} req/s for ${SECONDS} s, ${RELOADS} reloads\n` +
        `start (spawn to listening): ${startMs.toFixed(0)} ms\n` +
        `${'traffic'.padEnd(20)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'p99.9 ms'.padStart(10)}${'errors'.padStart(8)}\n` +
        [
          ['no reload', steady],
          ['reloads, same doc', during],
          ['reloads, new doc', duringChanged],
        ]
          .map(
            ([label, r]) =>
              `${String(label).padEnd(20)}${(r as typeof steady).p50.toFixed(2).padStart(9)}${(r as typeof steady).p99
                .toFixed(2)
                .padStart(
                  9,
                )}${(r as typeof steady).p999.toFixed(2).padStart(10)}${String((r as typeof steady).errors).padStart(8)}`,
          )
          .join('\n') +
        '\n',
    );
  } finally {
    await gateway.stop();
    await upstream.stop();
  }
}

await main();
