/**
 * `npm run bench:workers`: one gateway process with `--workers 1` (serves in its one thread) against
 * `--workers 2` (a primary, two worker threads on one port) with the node's counters in shared memory
 * (`2:shared`, the default) and as messages to the primary (`2:messages`, GATEHOUSE_SHARED_COUNTERS=off),
 * on the no-policy, the api-key + rate-limit + set-headers and concurrency-limit scenarios (with and without a line). Reports req/s, CPU per request
 * of the whole process, and CPU per request of the primary thread alone: the one serial part of a
 * node, from which the projection for 8 and 32 cores is derived (docs/benchmarks.md says how).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { hasWrk, type LoadResult, throughput } from './load.js';
import { cpuSeconds, freePort, type Proc, startProcess } from './processes.js';
import { type Scenario, scenarios } from './scenarios.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '../../cli/dist/main.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
/** `N` or `N:shared` (counters in shared memory) or `N:messages` (every hit a message to the primary). */
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2:messages,2:shared').split(',').map((spec) => {
  const [count, counters] = spec.split(':');
  return { count: Number(count), counters: counters === 'messages' ? ('messages' as const) : ('shared' as const) };
});
const SCENARIOS = (process.env.BENCH_ONLY ?? 'gateway-plain,gateway-policies,gateway-concurrency').split(',');
const CLOCK_TICKS_PER_SECOND = 100;
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 3);

interface Target {
  scenario: string;
  title: string;
  workers: number;
  counters: 'shared' | 'messages';
  url: string;
  headers: Record<string, string>;
  proc: Proc;
}

interface Sample extends LoadResult {
  primaryUsPerRequest: number | undefined;
}

/** CPU seconds of one thread (the main thread has the process id as its thread id). */
function threadCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const procs: Proc[] = [];
  try {
    const upstreamPort = await freePort();
    procs.push(
      await startProcess(process.execPath, [path.join(here, 'upstream-server.js'), String(upstreamPort)], {
        line: 'READY',
      }),
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-workers-'));
    const targets: Target[] = [];
    const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
    for (const scenario of [...(await scenarios(upstreamUrl)), ...concurrencyScenarios(upstreamUrl)]) {
      if (!SCENARIOS.includes(scenario.id) || !scenario.document) continue;
      const file = path.join(dir, `${scenario.id}.yaml`);
      await writeFile(file, stringify(scenario.document));
      for (const { count: workers, counters } of WORKERS) {
        const port = await freePort();
        const proc = await startProcess(
          process.execPath,
          [
            cli,
            'gateway',
            '--config',
            file,
            '--port',
            String(port),
            '--admin-port',
            String(await freePort()),
            '--access-log',
            'off',
          ],
          { line: '"gateway listening"' },
          {
            ...process.env,
            LOG_LEVEL: 'info',
            LOG_FORMAT: 'json',
            GATEHOUSE_WORKERS: String(workers),
            GATEHOUSE_SHARED_COUNTERS: counters === 'messages' ? 'off' : 'on',
          },
          // Threads load the gateway's modules each: slow on a loaded machine.
          120_000,
        );
        procs.push(proc);
        targets.push({
          scenario: scenario.id,
          title: scenario.title,
          workers,
          counters,
          url: `http://127.0.0.1:${port}${scenario.path}`,
          headers: scenario.headers,
          proc,
        });
      }
    }
    process.stdout.write(
      `Gatehouse workers benchmark: ${hasWrk() ? 'wrk' : 'autocannon'}, ${CONNECTIONS} connections, ` +
        `${SECONDS}s x ${ROUNDS} rounds, ${os.availableParallelism()} CPUs (load generator and upstream share them)\n`,
    );
    for (const t of targets) await throughput(t.url, t.headers, WARMUP, CONNECTIONS);
    // What each process burns doing nothing (timers, metrics, GC): on a loaded machine throughput is low, and
    // this floor spread over few requests would read as per-request cost. It is subtracted below.
    const idle = new Map<Target, { total: number; primary: number }>();
    await Promise.all(
      targets.map(async (t) => {
        const pid = t.proc.child.pid;
        const [cpu0, main0] = [cpuSeconds(pid), threadCpuSeconds(pid)];
        await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
        const [cpu1, main1] = [cpuSeconds(pid), threadCpuSeconds(pid)];
        idle.set(t, {
          total: ((cpu1 ?? 0) - (cpu0 ?? 0)) / IDLE_SECONDS,
          primary: ((main1 ?? 0) - (main0 ?? 0)) / IDLE_SECONDS,
        });
      }),
    );
    const samples = new Map<Target, Sample[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const pid = t.proc.child.pid;
        const floor = idle.get(t) ?? { total: 0, primary: 0 };
        const began = Date.now();
        const [cpu0, main0] = [cpuSeconds(pid), threadCpuSeconds(pid)];
        const result = await throughput(t.url, t.headers, SECONDS, CONNECTIONS);
        const [cpu1, main1] = [cpuSeconds(pid), threadCpuSeconds(pid)];
        const elapsed = (Date.now() - began) / 1000;
        const per = (a: number | undefined, b: number | undefined, idleRate: number) =>
          a !== undefined && b !== undefined && result.requests > 0
            ? (Math.max(0, b - a - idleRate * elapsed) * 1e6) / result.requests
            : undefined;
        samples.set(t, [
          ...(samples.get(t) ?? []),
          {
            ...result,
            cpuUsPerRequest: per(cpu0, cpu1, floor.total),
            primaryUsPerRequest: per(main0, main1, floor.primary),
          },
        ]);
      }
    }
    const rows: string[][] = [];
    for (const t of targets) {
      const list = samples.get(t) ?? [];
      const single = targets.find((o) => o.scenario === t.scenario && o.workers === 1);
      const rps = median(list.map((s) => s.rps));
      const cpu = median(list.map((s) => s.cpuUsPerRequest ?? Number.NaN));
      const singleCpu = single
        ? median((samples.get(single) ?? []).map((s) => s.cpuUsPerRequest ?? Number.NaN))
        : Number.NaN;
      const primary = median(list.map((s) => s.primaryUsPerRequest ?? Number.NaN));
      const singleRps = single ? median((samples.get(single) ?? []).map((s) => s.rps)) : Number.NaN;
      const errors = list.reduce((sum, s) => sum + s.errors, 0);
      rows.push([
        t.title,
        t.workers > 1 ? `${t.workers} (${t.counters})` : String(t.workers),
        rps.toFixed(0),
        (rps / singleRps).toFixed(2),
        cpu.toFixed(1),
        (cpu / singleCpu).toFixed(2),
        t.workers > 1 ? primary.toFixed(1) : '',
        t.workers > 1 ? projection(cpu, primary, 8) : '',
        t.workers > 1 ? projection(cpu, primary, 32) : '',
        String(errors),
      ]);
    }
    printTable(
      [
        'scenario',
        'workers',
        'req/s',
        'vs 1',
        'CPU us/req',
        'CPU vs 1',
        'primary us/req',
        '8 cores',
        '32 cores',
        'errors',
      ],
      rows,
    );
    process.stdout.write(
      '(CPU us/req: all threads of the gateway process, less what it burns idle; primary: its main thread, the\n' +
        ' serial part of a node, less its idle CPU.\n' +
        ' N cores: min(N / CPU per request, 1 / primary CPU per request) in req/s, the gateway alone on N cores)\n',
    );
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

/**
 * Node-wide concurrency limits: what acquiring and giving back a slot costs, in the table (shared) or as
 * messages to the primary (messages). `gateway-concurrency`: no waiting line, a limit no request reaches.
 * `gateway-queued`: a line of 100, a limit no request reaches (the fast path of a queued pool).
 * `gateway-queued-full`: a limit of 8 against the load's connections, so nearly every request waits in
 * the line and is handed a freed slot (the hand-over and the wake-up of the waiting worker). Only here:
 * the single-process `npm run bench` has no node-wide limits to compare.
 */
function concurrencyScenarios(upstreamUrl: string): Scenario[] {
  const scenario = (id: string, title: string, config: Record<string, unknown>): Scenario => ({
    id,
    title,
    kind: 'gateway',
    path: '/limited/bench',
    headers: {},
    document: {
      version: 1,
      apis: [
        {
          id: 'limited',
          name: 'limited',
          basePath: '/limited',
          upstream: { targets: [{ url: upstreamUrl }] },
          policies: [{ policy: 'concurrency-limit', config }],
          plans: [{ id: 'open', security: { type: 'keyless' } }],
        },
      ],
    },
  });
  return [
    scenario('gateway-concurrency', 'gateway, concurrency-limit (1,000 per node)', { limit: 1000 }),
    scenario('gateway-queued', 'gateway, queued pool not reached (1,000, line 100)', { limit: 1000, queueSize: 100 }),
    scenario('gateway-queued-full', 'gateway, queued pool reached (8, line 100)', {
      limit: 8,
      queueSize: 100,
      queueTimeout: '30s',
    }),
  ];
}

/** Req/s on `cores` cores: every core spends `cpuUs` per request, and the primary thread caps the node. */
function projection(cpuUs: number, primaryUs: number, cores: number): string {
  const parallel = (cores * 1e6) / cpuUs;
  const serial = primaryUs > 0 ? 1e6 / primaryUs : Number.POSITIVE_INFINITY;
  return `${Math.round(Math.min(parallel, serial) / 1000)}k${serial < parallel ? ' (primary)' : ''}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
