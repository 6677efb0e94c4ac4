/**
 * `npm run bench:ab`: two proxies measured in the same seconds. Both run at once on core 0, each driven by its own
 * wrk on core 1 beside the upstream. The kernel gives the two equal CPU time, so their requests/s ratio is the
 * inverse ratio of their CPU cost per request, and the VM's drift (which makes sequential windows on a shared
 * machine differ by 2x) hits both alike. For comparing two builds of the gateway, or the gateway with the baseline;
 * `npm run bench` stays the measurement the targets are stated against.
 *
 *   npm run bench:ab -- --a /path/to/other/checkout --scenario gateway-policies --rounds 6
 *
 * A side is `baseline` (the bare undici proxy) or a checkout root whose packages/cli/dist/main.js is built.
 * `--profile <dir>` also runs both with `--cpu-prof` and prints their self time per request, function by function
 * (profile-diff.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { hasWrk, type LoadResult, throughput } from './load.js';
import { cpuSeconds, freePort, type Proc, pinned, startProcess } from './processes.js';
import { formatProfileDiff, monotonicMicros, readSideProfile } from './profile-diff.js';
import { type Scenario, scenarios } from './scenarios.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const thisCheckout = path.resolve(here, '../../..');

const { values: options } = parseArgs({
  options: {
    a: { type: 'string', default: 'baseline' },
    b: { type: 'string', default: thisCheckout },
    scenario: { type: 'string', default: 'gateway-plain' },
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    profile: { type: 'string' },
  },
});

interface Side {
  label: string;
  url: string;
  proc: Proc;
}

async function startSide(
  root: string,
  scenario: Scenario,
  upstreamUrl: string,
  dir: string,
  profileDir: string | undefined,
): Promise<Side> {
  const port = await freePort();
  const node = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  if (root === 'baseline') {
    const proc = await startProcess(
      ...pinned('0', process.execPath, [...node, path.join(here, 'baseline-proxy.js'), String(port), upstreamUrl]),
      { line: 'READY' },
    );
    return { label: 'baseline', url: `http://127.0.0.1:${port}/bench`, proc };
  }
  const cli = path.join(path.resolve(root), 'packages/cli/dist/main.js');
  if (!existsSync(cli)) throw new Error(`${cli} not found: build that checkout first (npm run build)`);
  const file = path.join(dir, `${port}.yaml`);
  await writeFile(file, stringify(scenario.document));
  const args = [...node, cli, 'gateway', '--config', file, '--port', String(port)];
  // One process: both sides share core 0 (bench:workers measures a node with workers).
  args.push('--admin-port', String(await freePort()), '--host', '127.0.0.1', '--workers', '1');
  const proc = await startProcess(
    ...pinned('0', process.execPath, args),
    { port },
    { ...process.env, LOG_LEVEL: 'warn' },
  );
  return { label: path.resolve(root), url: `http://127.0.0.1:${port}${scenario.path}`, proc };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Drives both sides at once; CPU per request from /proc over the same window. */
async function round(
  sides: [Side, Side],
  headers: Record<string, string>[],
  seconds: number,
  connections: number,
  bFirst = false,
) {
  const before = sides.map((s) => cpuSeconds(s.proc.child.pid));
  // The wrk started first gets a head start on a loaded machine (an A/A at load 14 favoured A by ~7 %): rounds
  // alternate which side's load starts first.
  const drive = (i: number) => throughput(sides[i]!.url, headers[i]!, seconds, connections, '1');
  const started = bFirst ? [drive(1), drive(0)] : [drive(0), drive(1)];
  if (bFirst) started.reverse();
  const results: LoadResult[] = await Promise.all(started);
  return results.map((r, i) => {
    const after = cpuSeconds(sides[i]!.proc.child.pid);
    const spent = after === undefined || before[i] === undefined ? Number.NaN : after - before[i]!;
    return { ...r, cpuUsPerRequest: (spent * 1e6) / Math.max(1, r.requests) };
  });
}

async function main(): Promise<void> {
  if (!hasWrk()) throw new Error('bench:ab needs wrk (apt-get install wrk)');
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
  } catch {
    throw new Error('bench:ab needs taskset (util-linux) and at least 2 cores');
  }
  const rounds = Number(options.rounds);
  const seconds = Number(options.seconds);
  const connections = Number(options.connections);
  const procs: Proc[] = [];
  const profileRoot = options.profile === undefined ? undefined : path.resolve(options.profile);
  const windows: [number, number][] = [];
  const served = [0, 0];
  try {
    const upstreamPort = await freePort();
    procs.push(
      await startProcess(
        ...pinned('1', process.execPath, [path.join(here, 'upstream-server.js'), String(upstreamPort)]),
        { line: 'READY' },
      ),
    );
    const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
    const all = await scenarios(upstreamUrl);
    const scenario = all.find((s) => s.id === options.scenario && s.kind === 'gateway');
    if (!scenario) {
      const ids = all.filter((s) => s.kind === 'gateway').map((s) => s.id);
      throw new Error(`unknown gateway scenario "${options.scenario}"; one of: ${ids.join(', ')}`);
    }
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-ab-'));
    // Each side is stopped in `finally` even when the other one fails to start.
    const started = async (root: string, tag: string) => {
      const profileDir = profileRoot === undefined ? undefined : path.join(profileRoot, tag);
      const side = await startSide(root, scenario, upstreamUrl, dir, profileDir);
      procs.push(side.proc);
      return side;
    };
    const sides: [Side, Side] = [await started(options.a!, 'A'), await started(options.b!, 'B')];
    const headers = sides.map((s) => (s.label === 'baseline' ? {} : scenario.headers));
    process.stdout.write(
      `bench:ab ${scenario.id}: A = ${sides[0].label}, B = ${sides[1].label}; both on core 0 at once, ` +
        `${connections} connections each, ${seconds}s x ${rounds} rounds\n`,
    );
    await round(sides, headers, 3, connections); // warm-up
    const ratios: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const start = monotonicMicros();
      const [a, b] = await round(sides, headers, seconds, connections, i % 2 === 1);
      // The edges are left out: wrk's connections open and close there.
      windows.push([start + 250_000, monotonicMicros() - 250_000]);
      served[0]! += a!.requests * (1 - 0.5 / seconds);
      served[1]! += b!.requests * (1 - 0.5 / seconds);
      if (a!.errors + b!.errors > 0) process.stdout.write(`  warning: errors A ${a!.errors}, B ${b!.errors}\n`);
      const ratio = b!.rps / a!.rps;
      ratios.push(ratio);
      process.stdout.write(
        `round ${i + 1}: A ${a!.rps.toFixed(0)} req/s (${a!.cpuUsPerRequest.toFixed(1)} us/req)  ` +
          `B ${b!.rps.toFixed(0)} req/s (${b!.cpuUsPerRequest.toFixed(1)} us/req)  B/A ${ratio.toFixed(3)}\n`,
      );
    }
    process.stdout.write(
      `B/A median ${median(ratios).toFixed(3)} (range ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}); ` +
        `(A/A noise measured on the 2-core VM: 0.96-1.00 per round)\n`,
    );
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
  if (profileRoot !== undefined) {
    const a = readSideProfile(path.join(profileRoot, 'A'), windows, served[0]!);
    const b = readSideProfile(path.join(profileRoot, 'B'), windows, served[1]!);
    process.stdout.write(`${formatProfileDiff(a, b)}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
