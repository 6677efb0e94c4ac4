/**
 * `npm run bench:peers`: Gatehouse beside the proxies users compare it with, on the same upstream, the
 * same load generator and the same machine, in the same run: nginx (plain, and with an API-key map +
 * limit_req), HAProxy, Caddy (Debian packages), @fastify/http-proxy, node-http-proxy (npm) and Express
 * Gateway with key-auth + rate-limit (npm, installed on first use into packages/bench/.peers). Every
 * peer runs one worker/thread. Before anything is timed each one is checked to really proxy: 200 with
 * the upstream's body, and 401 without a key where it is meant to check keys; a peer failing that is
 * left out of the table with the reason. Ratios and CPU per request are measured as `npm run bench` does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { hasWrk, type LoadResult, throughput } from './load.js';
import { BENCH_KEY, caddyConfig, haproxyConfig, nginxConfig } from './peers/configs.js';
import { cpuSeconds, freePort, type Proc, pinned, startProcess } from './processes.js';
import { fmt, median, printTable, summarize } from './report.js';
import { scenarios } from './scenarios.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '../../cli/dist/main.js');
const peersDir = path.resolve(here, '../.peers');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PIN = process.env.BENCH_PIN === '1';
const PROXY_CPUS = PIN ? '0' : undefined;
const LOAD_CPUS = PIN ? '1' : undefined;
const EXPRESS_GATEWAY = 'express-gateway@1.16.11';

type Family = 'baseline' | 'gatehouse' | 'node' | 'native';

interface Peer {
  id: string;
  title: string;
  family: Family;
  /** Checks an API key: must answer 401 without one. */
  keyed: boolean;
  start(port: number, upstreamUrl: string, dir: string): Promise<{ proc: Proc; headers: Record<string, string> }>;
  /** Why it cannot run here (a missing binary), or undefined. */
  unavailable?(): string | undefined;
}

const binary = (file: string) => () => (existsSync(file) ? undefined : `${file} is not installed (apt-get install)`);
const nodeScript = (name: string, ...args: string[]) =>
  pinned(PROXY_CPUS, process.execPath, [path.join(here, 'peers', `${name}.js`), ...args]);

async function gatehousePeer(id: string, title: string, keyed: boolean, upstreamUrl: string): Promise<Peer> {
  const scenario = (await scenarios(upstreamUrl)).find((s) => s.id === id)!;
  return {
    id,
    title,
    family: 'gatehouse',
    keyed,
    async start(port, _upstream, dir) {
      const file = path.join(dir, `${id}.yaml`);
      await writeFile(file, stringify(scenario.document));
      const args = [cli, 'gateway', '--config', file, '--port', String(port), '--host', '127.0.0.1'];
      // One worker, as every peer here runs one (bench:workers measures a node with workers).
      args.push('--admin-port', String(await freePort()), '--workers', '1');
      const proc = await startProcess(
        ...pinned(PROXY_CPUS, process.execPath, args),
        { port },
        {
          ...process.env,
          LOG_LEVEL: 'warn',
        },
      );
      return { proc: Object.assign(proc, { path: scenario.path }), headers: scenario.headers };
    },
  };
}

function nativePeers(): Peer[] {
  const nginx = (keyed: boolean): Peer => ({
    id: keyed ? 'nginx-keyed' : 'nginx',
    title: keyed ? 'nginx, API-key map + limit_req' : 'nginx',
    family: 'native',
    keyed,
    unavailable: binary('/usr/sbin/nginx'),
    async start(port, upstreamUrl, dir) {
      const conf = path.join(dir, `nginx-${port}.conf`);
      await writeFile(conf, nginxConfig(port, upstreamUrl, dir, keyed));
      const proc = await startProcess(
        ...pinned(PROXY_CPUS, '/usr/sbin/nginx', ['-c', conf, '-p', dir, '-g', 'daemon off;']),
        {
          port,
        },
      );
      const headers: Record<string, string> = keyed ? { 'x-api-key': BENCH_KEY } : {};
      return { proc, headers };
    },
  });
  return [
    nginx(false),
    nginx(true),
    {
      id: 'haproxy',
      title: 'HAProxy',
      family: 'native',
      keyed: false,
      unavailable: binary('/usr/sbin/haproxy'),
      async start(port, upstreamUrl, dir) {
        const conf = path.join(dir, `haproxy-${port}.cfg`);
        await writeFile(conf, haproxyConfig(port, upstreamUrl));
        return {
          proc: await startProcess(...pinned(PROXY_CPUS, '/usr/sbin/haproxy', ['-f', conf, '-db']), { port }),
          headers: {},
        };
      },
    },
    {
      id: 'caddy',
      title: 'Caddy',
      family: 'native',
      keyed: false,
      unavailable: binary('/usr/bin/caddy'),
      async start(port, upstreamUrl, dir) {
        const conf = path.join(dir, `Caddyfile-${port}`);
        await writeFile(conf, caddyConfig(port, upstreamUrl));
        const env = { ...process.env, GOMAXPROCS: '1', XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, HOME: dir };
        const args = ['run', '--config', conf, '--adapter', 'caddyfile'];
        return { proc: await startProcess(...pinned(PROXY_CPUS, '/usr/bin/caddy', args), { port }, env), headers: {} };
      },
    },
  ];
}

function nodePeers(): Peer[] {
  const simple = (id: string, title: string, script: string): Peer => ({
    id,
    title,
    family: 'node',
    keyed: false,
    async start(port, upstreamUrl) {
      return {
        proc: await startProcess(...nodeScript(script, String(port), upstreamUrl), { line: 'READY' }),
        headers: {},
      };
    },
  });
  return [
    simple('fastify-http-proxy', '@fastify/http-proxy', 'fastify-proxy'),
    simple('node-http-proxy', 'node-http-proxy', 'node-http-proxy'),
    {
      id: 'express-gateway',
      title: 'Express Gateway, key-auth + rate-limit',
      family: 'node',
      keyed: true,
      unavailable: () => installExpressGateway(),
      async start(port, upstreamUrl) {
        const proc = await startProcess(...nodeScript('express-gateway', String(port), upstreamUrl, peersDir), {
          line: 'READY',
        });
        const key = /READY (apiKey \S+)/.exec(proc.readyOutput)?.[1];
        if (!key) throw new Error(`express-gateway printed no key: ${proc.readyOutput}`);
        return { proc, headers: { authorization: key } };
      },
    },
  ];
}

/** Express Gateway is old and pulls ~400 packages: installed once, outside the workspace. */
function installExpressGateway(): string | undefined {
  if (existsSync(path.join(peersDir, 'node_modules/express-gateway/package.json'))) return undefined;
  process.stdout.write(`installing ${EXPRESS_GATEWAY} into ${peersDir} (first run only)...\n`);
  try {
    mkdirSync(peersDir, { recursive: true });
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', peersDir, EXPRESS_GATEWAY], {
      stdio: 'ignore',
    });
    return undefined;
  } catch (error) {
    return `could not install ${EXPRESS_GATEWAY}: ${(error as Error).message}`;
  }
}

interface Running {
  peer: Peer;
  url: string;
  headers: Record<string, string>;
  proc: Proc;
}

/** Refuses to time a proxy that does not proxy: 200 with the upstream's body; 401 without a key if keyed. */
async function verify(r: Running): Promise<string | undefined> {
  const ok = await fetch(r.url, { headers: r.headers });
  const body = await ok.text();
  if (ok.status !== 200 || !body.includes('bench-upstream')) return `answered ${ok.status} ${body.slice(0, 80)}`;
  if (r.peer.keyed) {
    const anonymous = await fetch(r.url);
    await anonymous.arrayBuffer();
    if (anonymous.status !== 401) return `answered ${anonymous.status} without a key (expected 401)`;
  }
  return undefined;
}

async function main(): Promise<void> {
  const procs: Proc[] = [];
  try {
    const upstreamPort = await freePort();
    procs.push(
      await startProcess(
        ...pinned(LOAD_CPUS, process.execPath, [path.join(here, 'upstream-server.js'), String(upstreamPort)]),
        { line: 'READY' },
      ),
    );
    const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-peers-'));
    const baseline: Peer = {
      id: 'baseline',
      title: 'bare undici proxy (baseline)',
      family: 'baseline',
      keyed: false,
      async start(port) {
        const args = [path.join(here, 'baseline-proxy.js'), String(port), upstreamUrl];
        return {
          proc: await startProcess(...pinned(PROXY_CPUS, process.execPath, args), { line: 'READY' }),
          headers: {},
        };
      },
    };
    const only = process.env.BENCH_ONLY?.split(',');
    const peers = [
      baseline,
      await gatehousePeer('gateway-plain', 'Gatehouse, no policies', false, upstreamUrl),
      await gatehousePeer('gateway-policies', 'Gatehouse, api-key + rate-limit + set-headers', true, upstreamUrl),
      ...nativePeers(),
      ...nodePeers(),
    ].filter((p) => p.id === 'baseline' || !only || only.includes(p.id));

    const running: Running[] = [];
    const excluded: string[][] = [];
    for (const peer of peers) {
      const reason = peer.unavailable?.();
      if (reason) {
        excluded.push([peer.title, reason]);
        continue;
      }
      const port = await freePort();
      try {
        const { proc, headers } = await peer.start(port, upstreamUrl, dir);
        procs.push(proc);
        const suffix = (proc as Proc & { path?: string }).path ?? '/bench';
        const r = { peer, url: `http://127.0.0.1:${port}${suffix}`, headers, proc };
        const failure = await verify(r);
        if (failure) {
          excluded.push([peer.title, `does not proxy as configured: ${failure}`]);
          await proc.stop();
          continue;
        }
        running.push(r);
      } catch (error) {
        excluded.push([peer.title, `did not start: ${(error as Error).message.split('\n')[0]}`]);
      }
    }
    if (running[0]?.peer !== baseline) throw new Error('the baseline proxy did not start');

    process.stdout.write(
      `Peers benchmark: ${hasWrk() ? 'wrk' : 'autocannon'}, ${CONNECTIONS} connections, ${SECONDS}s x ${ROUNDS} rounds, ` +
        `one worker per proxy, ${PIN ? 'proxies pinned to core 0, upstream and load to core 1' : `${cpus().length} cores shared`}\n`,
    );
    for (const r of running) await throughput(r.url, r.headers, WARMUP, CONNECTIONS, LOAD_CPUS);

    const results = new Map<string, LoadResult[]>();
    const ratios = new Map<string, number[]>();
    const measure = async (r: Running): Promise<LoadResult> => {
      const before = cpuSeconds(r.proc.child.pid);
      const result = await throughput(r.url, r.headers, SECONDS, CONNECTIONS, LOAD_CPUS);
      const after = cpuSeconds(r.proc.child.pid);
      if (before !== undefined && after !== undefined && result.requests > 0)
        result.cpuUsPerRequest = ((after - before) * 1e6) / result.requests;
      if (result.errors > 0) process.stdout.write(`  warning: ${r.peer.id} had ${result.errors} errors\n`);
      results.set(r.peer.id, [...(results.get(r.peer.id) ?? []), result]);
      return result;
    };
    const [baselineRun, ...others] = running as [Running, ...Running[]];
    for (let round = 0; round < ROUNDS; round++) {
      let before = await measure(baselineRun);
      for (const r of others) {
        const result = await measure(r);
        const after = await measure(baselineRun);
        ratios.set(r.peer.id, [...(ratios.get(r.peer.id) ?? []), result.rps / ((before.rps + after.rps) / 2)]);
        before = after;
      }
    }
    const summary = new Map(running.map((r) => [r.peer.id, summarize(results.get(r.peer.id)!)]));
    printTable(
      ['proxy', 'keys', 'req/s', 'p50 ms', 'p99 ms', 'CPU us/req', 'vs baseline'],
      running.map((r) => {
        const s = summary.get(r.peer.id)!;
        return [
          r.peer.title,
          r.peer.keyed ? 'yes' : 'no',
          fmt(s.rps, 0),
          fmt(s.p50, 2),
          fmt(s.p99, 2),
          fmt(s.cpuUsPerRequest ?? Number.NaN, 1),
          r === baselineRun ? '1.00x' : `${fmt(median(ratios.get(r.peer.id)!), 2)}x`,
        ];
      }),
    );
    for (const [title, reason] of excluded) process.stdout.write(`left out: ${title}: ${reason}\n`);
    process.stdout.write(`\n${verdicts(running, summary).join('\n')}\n`);
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

/**
 * The issue's rule: Gatehouse ahead of every Node peer and of Caddy, comparing like with like (keys or none):
 * less CPU per request and more requests/s.
 */
function verdicts(running: Running[], summary: Map<string, LoadResult>): string[] {
  const lines: string[] = [];
  for (const gatehouse of running.filter((r) => r.peer.family === 'gatehouse')) {
    const g = summary.get(gatehouse.peer.id)!;
    for (const peer of running.filter((r) => r.peer.keyed === gatehouse.peer.keyed)) {
      if (peer.peer.family !== 'node' && peer.peer.id !== 'caddy') continue;
      const p = summary.get(peer.peer.id)!;
      if (g.cpuUsPerRequest === undefined || p.cpuUsPerRequest === undefined || p.requests === 0) {
        lines.push(`no figure  ${gatehouse.peer.title} vs ${peer.peer.title}`);
        continue;
      }
      const ahead = g.cpuUsPerRequest < p.cpuUsPerRequest && g.rps > p.rps;
      lines.push(
        `${ahead ? 'ahead ' : 'BEHIND'}  ${gatehouse.peer.title} ${fmt(g.cpuUsPerRequest ?? Number.NaN, 1)} us/req vs ` +
          `${peer.peer.title} ${fmt(p.cpuUsPerRequest ?? Number.NaN, 1)} us/req`,
      );
    }
  }
  return lines;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:peers failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
