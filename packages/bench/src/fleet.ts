/**
 * Fleet simulation: N light gateways speaking the real hybrid protocol (gateway token, /sync with
 * cursor, the /events change stream, heartbeats) against one real control plane in its own
 * process (packages/control-plane/dist/bench/fleet-server.js; PostgreSQL when DATABASE_URL is set).
 * The light gateways parse each answer but neither verify signatures nor compile configs: what is
 * measured is the control plane's side of the fan-out.
 *
 *   npm run bench:fleet -- [--gateways 1000] [--keys 100000] [--heartbeat-window-s 10] [--protocol '3, 2']
 *                          [--cpu-prof-dir DIR] [--rounds 5] [--warmup 1] [--mgmt-interval-ms 25] [--skip-idle]
 *                          [--fan-out-window 32|0]
 *
 * Figures: deploy received by every gateway (p50/p99/max from the deploy call), one key revocation
 * received by every gateway, control-plane CPU for heartbeats alone and for the idle fleet (polls,
 * heartbeats, pings), management API latency (p50/p99: an open-loop probe of reads and a write) during
 * each fan-out, bytes sent. `--rounds N` repeats each fan-out N times and also prints the pooled figures.
 * Load-independent figures from the control plane: syncs in progress when each management call
 * arrives, its main thread's CPU time during each call and until each gateway got the change, and the
 * loop's longest stretch between two runs of a 1 ms timer.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { loopCpuMs, type ProbeResult, type ProbeStart } from './fleet-probe.js';

interface ServerInfo {
  url: string;
  backend: string;
  environment: string;
  adminEmail: string;
  adminPassword: string;
  subscriptionId: string;
  revocableKeyIds: string[];
  tokens: string[];
  pid: number;
}

const { values: args } = parseArgs({
  options: {
    gateways: { type: 'string', default: '1000' },
    keys: { type: 'string', default: '0' },
    'poll-ms': { type: 'string', default: '10000' },
    'heartbeat-interval-ms': { type: 'string', default: '60000' },
    'heartbeat-window-s': { type: 'string', default: '10' },
    'timeout-s': { type: 'string', default: '60' },
    /** One management call every so many ms during each fan-out (open loop). */
    'mgmt-interval-ms': { type: 'string', default: '25' },
    /** Deploys and revocations each made this many times (a p99 of the management calls needs many). */
    rounds: { type: 'string', default: '1' },
    /** Fan-outs made first and left out of the pooled figures (the control plane's JIT warming up). */
    warmup: { type: 'string', default: '1' },
    /** The control plane's paced fan-out window (0: unpaced, every stream told at once). */
    'fan-out-window': { type: 'string' },
    /** Stop after the fan-outs (no heartbeat and idle-poll phases): quicker iterations. */
    'skip-idle': { type: 'boolean', default: false },
    /**
     * The `Gatehouse-Protocol` the simulated gateways send: `4, 3, 2` (definition deltas), `3, 2`
     * (digest-signed envelopes; a deploy is a snapshot) or `2` (before it).
     */
    protocol: { type: 'string', default: '4, 3, 2' },
    /** Write a V8 CPU profile of the control plane there (node --cpu-prof). */
    'cpu-prof-dir': { type: 'string' },
  },
});
const PROTOCOL = args.protocol;
const GATEWAYS = Number(args.gateways);
const POLL_MS = Number(args['poll-ms']);
const HEARTBEAT_INTERVAL_MS = Number(args['heartbeat-interval-ms']);
const TIMEOUT_MS = Number(args['timeout-s']) * 1000;
const MGMT_INTERVAL_MS = Number(args['mgmt-interval-ms']);
const ROUNDS = Number(args.rounds);
const WARMUP = Number(args.warmup);

const agent = new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 60_000 });
const CLK_TCK = 100;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat (11 and 12 after the command).
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function seqOf(cursor: string | undefined): number {
  return cursor ? Number(cursor.slice(2)) : -1;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const ms = (n: number) => `${Math.round(n)} ms`;

class SimGateway {
  cursor: string | undefined;
  bytes = 0;
  /** Answers received, by kind (snapshot, delta, definition, unchanged). */
  readonly kinds = new Map<string, number>();
  syncs = 0;
  streamOpen = false;
  pollsPaused = false;
  /** The cursor the last change event announced (sent as a hint, as the gateway does). */
  expected: string | undefined;
  private stopped = false;
  /** Called with every non-`unchanged` message received. */
  onMessage: ((gw: SimGateway, kind: string, seq: number) => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private stream: { destroy(): void } | undefined;

  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  private headers(extra: Record<string, string> = {}) {
    return { authorization: `Bearer ${this.token}`, 'accept-encoding': 'gzip', ...extra };
  }

  syncNow(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.syncOnce().catch(() => undefined);
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
      this.schedulePoll();
    });
    return this.running;
  }

  private async syncOnce(): Promise<void> {
    const query = this.cursor ? `?cursor=${encodeURIComponent(this.cursor)}` : '';
    const res = await request(`${this.base}/api/v1/gateway/sync${query}`, {
      dispatcher: agent,
      headers: this.headers({
        'gatehouse-protocol': PROTOCOL,
        ...(this.expected ? { 'gatehouse-expect-cursor': this.expected } : {}),
      }),
    });
    const raw = Buffer.from(await res.body.arrayBuffer());
    this.bytes += raw.length;
    this.syncs++;
    if (res.statusCode !== 200) throw new Error(`sync ${res.statusCode}`);
    const body = res.headers['content-encoding'] === 'gzip' ? (await gunzip(raw)).toString() : raw.toString();
    const message = JSON.parse(body) as { kind: string; cursor: string };
    if (this.expected && seqOf(message.cursor) >= seqOf(this.expected)) this.expected = undefined;
    this.kinds.set(message.kind, (this.kinds.get(message.kind) ?? 0) + 1);
    if (message.kind === 'unchanged') return;
    this.cursor = message.cursor;
    this.onMessage?.(this, message.kind, seqOf(message.cursor));
  }

  private schedulePoll(): void {
    clearTimeout(this.pollTimer);
    // A sync finishing after stop() must not start the poll again (it kept the process alive).
    if (this.stopped) return;
    // Full jitter around the interval, as the gateway does.
    this.pollTimer = setTimeout(
      () => {
        if (!this.pollsPaused) void this.syncNow();
        else this.schedulePoll();
      },
      POLL_MS * (0.5 + Math.random()),
    );
  }

  async openStream(): Promise<void> {
    const res = await request(`${this.base}/api/v1/gateway/events`, {
      dispatcher: agent,
      headers: this.headers({ accept: 'text/event-stream' }),
    });
    if (res.statusCode !== 200) throw new Error(`events ${res.statusCode}`);
    this.streamOpen = true;
    this.stream = res.body;
    let buffered = '';
    res.body.setEncoding('utf8');
    res.body.on('data', (chunk: string) => {
      buffered += chunk;
      let end = buffered.indexOf('\n\n');
      while (end >= 0) {
        const block = buffered.slice(0, end);
        if (block.startsWith('event: changed')) {
          const cursor = /"cursor":"(c:\d+)"/.exec(block)?.[1];
          if (cursor && seqOf(cursor) > seqOf(this.expected)) this.expected = cursor;
          void this.syncNow();
        }
        buffered = buffered.slice(end + 2);
        end = buffered.indexOf('\n\n');
      }
    });
    res.body.on('error', () => {
      this.streamOpen = false;
    });
    res.body.on('end', () => {
      this.streamOpen = false;
    });
  }

  async heartbeat(): Promise<void> {
    const res = await request(`${this.base}/api/v1/gateway/heartbeat`, {
      method: 'POST',
      dispatcher: agent,
      headers: this.headers({ 'content-type': 'application/json' }),
      body: JSON.stringify({
        protocol: 2,
        instanceId: 'sim',
        version: 'fleet-bench',
        hostname: 'sim',
        configVersion: null,
        cursor: this.cursor ?? null,
        appliedRevisions: { orders: 1, status: 1 },
        uptimeSeconds: 1,
        requests: { total: 0 },
        backup: { servingFromBackup: false, stalenessSeconds: 0 },
        errors: [],
      }),
    });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`heartbeat ${res.statusCode}`);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    this.stream?.destroy();
  }
}

async function gunzip(raw: Buffer): Promise<Buffer> {
  const { gunzip: z } = await import('node:zlib');
  return new Promise((resolve, reject) => z(raw, (e, out) => (e ? reject(e) : resolve(out))));
}

/**
 * The management probe runs in its own process (fleet-probe.ts): in this one its answers would wait
 * behind the simulated fleet's work, and an operator's console is not the fleet.
 */
function startProbe(): { start(options: ProbeStart): void; stop(since: number): Promise<ProbeResult>; close(): void } {
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), 'fleet-probe.js'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    start: (options) => child.send({ cmd: 'start', ...options }),
    stop: (since) =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as ProbeResult));
        child.send({ cmd: 'stop', since });
      }),
    close: () => child.kill(),
  };
}

async function startServer(): Promise<{ child: ChildProcess; info: ServerInfo }> {
  const require = createRequire(import.meta.url);
  const cpDist = dirname(require.resolve('@gatehouse/control-plane'));
  const child = spawn(
    process.execPath,
    [
      ...(args['cpu-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof-dir']}`] : []),
      join(cpDist, 'bench', 'fleet-server.js'),
      '--gateways',
      String(GATEWAYS),
      '--keys',
      String(args.keys),
      '--heartbeat-interval-ms',
      String(HEARTBEAT_INTERVAL_MS),
      '--revocable-keys',
      String(WARMUP + ROUNDS),
      ...(args['fan-out-window'] === undefined ? [] : ['--fan-out-window', args['fan-out-window']]),
    ],
    { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: process.env },
  );
  const lines = createInterface({ input: child.stdout! });
  const info = await new Promise<ServerInfo>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as ServerInfo));
    child.once('exit', (code) => reject(new Error(`fleet server exited (${code})`)));
  });
  return { child, info };
}

/** The control plane's loop turns since the last ask (fleet-server.ts watchLoopTurns), CPU ms, sorted. */
function loopTurns(child: ChildProcess): Promise<{ turns: number[]; ahead: number[] }> {
  return new Promise((resolve) => {
    const on = (message: unknown) => {
      const { turns, ahead } = message as { turns?: number[]; ahead?: number[] };
      if (!turns || !ahead) return;
      child.off('message', on);
      resolve({ turns: turns.sort((a, b) => a - b), ahead: ahead.sort((a, b) => a - b) });
    };
    child.on('message', on);
    child.send('turns');
  });
}

const turnMs = (n: number) => `${n.toFixed(1)} ms`;

/** Resolves once every gateway received a message past `seq`; answers the per-gateway delays. */
function awaitFanOut(fleet: SimGateway[], afterSeq: number, t0: () => number, pid: number) {
  const delays = new Map<SimGateway, number>();
  const loopCpu0 = loopCpuMs(pid);
  const loopCpu: number[] = [];
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  for (const gw of fleet)
    gw.onMessage = (g, _kind, seq) => {
      if (seq > afterSeq && !delays.has(g)) {
        delays.set(g, performance.now() - t0());
        loopCpu.push(loopCpuMs(pid) - loopCpu0);
        if (delays.size === fleet.length) done();
      }
    };
  const timeout = new Promise<void>((r) => setTimeout(r, TIMEOUT_MS).unref());
  return Promise.race([all, timeout]).then(() => ({
    delays: [...delays.values()].sort((a, b) => a - b),
    loopCpu: loopCpu.sort((a, b) => a - b),
  }));
}

async function main(): Promise<void> {
  const setupStart = performance.now();
  const { child, info } = await startServer();
  const base = info.url;
  const fleet = info.tokens.map((t) => new SimGateway(base, t));
  const probe = startProbe();
  try {
    const login = await request(`${base}/api/v1/auth/login`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: info.adminEmail, password: info.adminPassword }),
    });
    const { token: admin } = (await login.body.json()) as { token: string };
    const manage = (method: 'POST' | 'DELETE', path: string, body?: unknown) =>
      request(`${base}/api/v1/environments/${info.environment}${path}`, {
        method,
        dispatcher: agent,
        headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }).then(async (r) => {
        await r.body.dump();
        if (r.statusCode >= 300) throw new Error(`${method} ${path}: ${r.statusCode}`);
      });

    // Connect in waves, as a fleet restarting would not all arrive in one instant.
    for (let i = 0; i < fleet.length; i += 50) {
      await Promise.all(
        fleet.slice(i, i + 50).map(async (gw) => {
          await gw.syncNow();
          await gw.openStream();
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 2000));
    console.log(
      `fleet: ${fleet.length} gateways on ${info.backend} (${args.keys} extra keys, protocol ${PROTOCOL}, fan-out window ${args['fan-out-window'] ?? 'default'}), connected in ${ms(performance.now() - setupStart)}; figures are from a shared, loaded machine`,
    );
    const bytesNow = () => fleet.reduce((n, g) => n + g.bytes, 0);
    const syncsNow = () => fleet.reduce((n, g) => n + g.syncs, 0);
    const kindsNow = () => {
      const all = new Map<string, number>();
      for (const gw of fleet) for (const [kind, n] of gw.kinds) all.set(kind, (all.get(kind) ?? 0) + n);
      return all;
    };

    const fanOut = async (label: string, action: (round: number) => Promise<void>) => {
      const all = {
        delays: [] as number[],
        delaysCpu: [] as number[],
        reads: [] as number[],
        writes: [] as number[],
        callsCpu: [] as number[],
        turns: [] as number[],
        ahead: [] as number[],
        failed: 0,
      };
      let cpuAll = 0;
      let syncsAll = 0;
      for (let round = 0; round < WARMUP + ROUNDS; round++) {
        const warm = round < WARMUP;
        const before = Math.max(...fleet.map((g) => seqOf(g.cursor)));
        const bytes0 = bytesNow();
        const syncs0 = syncsNow();
        const cpu0 = cpuSeconds(info.pid);
        const kinds0 = kindsNow();
        // The simulated gateways' side: receiving, gunzipping and parsing the answers (this process).
        const benchCpu0 = process.cpuUsage();
        probe.start({ base, token: admin, env: info.environment, pid: info.pid, intervalMs: MGMT_INTERVAL_MS });
        let t0 = 0;
        const waiting = awaitFanOut(fleet, before, () => t0, info.pid);
        child.send('turns-reset');
        t0 = performance.now();
        await action(round);
        // Until the management call answered (the change committed): the deploy's own checks count here.
        const actionMs = performance.now() - t0;
        const { delays, loopCpu } = await waiting;
        // Only calls started between the action and the last gateway receiving the change.
        const mgmt = await probe.stop(performance.timeOrigin + t0);
        const { turns, ahead } = await loopTurns(child);
        const calls = [...mgmt.reads, ...mgmt.writes].sort((x, y) => x - y);
        const callsCpu = mgmt.loopCpu.sort((x, y) => x - y);
        const cpu = cpuSeconds(info.pid) - cpu0;
        const syncs = syncsNow() - syncs0;
        const benchCpu = process.cpuUsage(benchCpu0);
        const kinds = [...kindsNow()]
          .map(([kind, n]) => [kind, n - (kinds0.get(kind) ?? 0)] as const)
          .filter(([, n]) => n > 0)
          .map(([kind, n]) => `${kind} ${n}`)
          .join(', ');
        const line =
          `${(warm ? `${label} warm-up` : label).padEnd(18)} (call answered in ${ms(actionMs)}) received by ${delays.length}/${fleet.length}: p50 ${ms(percentile(delays, 50))}, p99 ${ms(percentile(delays, 99))}, max ${ms(delays.at(-1) ?? Number.NaN)}; ` +
          `${syncs} syncs, ${(((bytesNow() - bytes0) / 1024 / 1024) as number).toFixed(1)} MiB sent, control-plane CPU ${cpu.toFixed(2)} s (${((cpu * 1000) / Math.max(1, syncs)).toFixed(2)} ms/sync); ` +
          `management API p50 ${ms(percentile(calls, 50))}, p99 ${ms(percentile(calls, 99))}, max ${ms(calls.at(-1) ?? Number.NaN)} (${calls.length} calls, ${mgmt.failed} failed); ` +
          `CP loop CPU: to reach p99 ${ms(percentile(loopCpu, 99))}, during a management call p50 ${ms(percentile(callsCpu, 50))} p99 ${ms(percentile(callsCpu, 99))}; ` +
          `loop busy between timer turns p99 ${turnMs(percentile(turns, 99))}, max ${turnMs(turns.at(-1) ?? Number.NaN)}; ` +
          `syncs in progress when a management call arrives p50 ${percentile(ahead, 50)}, p99 ${percentile(ahead, 99)}, max ${ahead.at(-1)}; ` +
          `answers: ${kinds}; simulated gateways' CPU ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(2)} s`;
        console.log(line);
        for (const gw of fleet) gw.onMessage = undefined;
        await new Promise((r) => setTimeout(r, 1000));
        if (warm) continue;
        cpuAll += cpu;
        syncsAll += syncs;
        all.delays.push(...delays);
        all.delaysCpu.push(...loopCpu);
        all.callsCpu.push(...mgmt.loopCpu);
        all.turns.push(...turns);
        all.ahead.push(...ahead);
        all.reads.push(...mgmt.reads);
        all.writes.push(...mgmt.writes);
        all.failed += mgmt.failed;
      }
      {
        const sorted = (l: number[]) => [...l].sort((x, y) => x - y);
        const delays = sorted(all.delays);
        const calls = sorted([...all.reads, ...all.writes]);
        const writes = sorted(all.writes);
        const callsCpu = sorted(all.callsCpu);
        console.log(
          `${label.padEnd(18)} ${ROUNDS} rounds: received p50 ${ms(percentile(delays, 50))}, p99 ${ms(percentile(delays, 99))}; ${((cpuAll * 1000) / Math.max(1, syncsAll)).toFixed(2)} ms CP CPU/sync; ` +
            `management API p50 ${ms(percentile(calls, 50))}, p99 ${ms(percentile(calls, 99))}, max ${ms(calls.at(-1) ?? Number.NaN)} (${calls.length} calls every ${MGMT_INTERVAL_MS} ms, ${all.failed} failed; the ${writes.length} writes p99 ${ms(percentile(writes, 99))}); ` +
            `CP loop CPU: to reach p99 ${ms(percentile(sorted(all.delaysCpu), 99))}, during a management call p50 ${ms(percentile(callsCpu, 50))} p99 ${ms(percentile(callsCpu, 99))}; ` +
            `loop busy between timer turns p99 ${turnMs(percentile(sorted(all.turns), 99))}, max ${turnMs(Math.max(...all.turns))}; ` +
            `syncs in progress when a management call arrives p50 ${percentile(sorted(all.ahead), 50)}, p99 ${percentile(sorted(all.ahead), 99)}, max ${Math.max(...all.ahead)}`,
        );
      }
    };

    await fanOut('deploy', () => manage('POST', '/apis/orders/deployments', { message: 'fleet bench' }));
    await fanOut('revocation', (round) =>
      manage('DELETE', `/subscriptions/${info.subscriptionId}/api-keys/${info.revocableKeyIds[round]}`),
    );

    if (args['skip-idle']) return;
    // Heartbeats alone: polls paused, each gateway's heartbeat spread over its interval.
    const windowS = Number(args['heartbeat-window-s']);
    for (const gw of fleet) gw.pollsPaused = true;
    await new Promise((r) => setTimeout(r, POLL_MS * 1.6));
    const rate = fleet.length / (HEARTBEAT_INTERVAL_MS / 1000);
    const count = Math.round(rate * windowS);
    let failed = 0;
    const cpuBeat0 = cpuSeconds(info.pid);
    const beatStart = performance.now();
    const beats: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const due = beatStart + (i / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      beats.push(
        fleet[i % fleet.length]!.heartbeat().catch(() => {
          failed++;
        }),
      );
    }
    await Promise.all(beats);
    const beatSeconds = (performance.now() - beatStart) / 1000;
    const beatCpu = cpuSeconds(info.pid) - cpuBeat0;
    console.log(
      `heartbeats   ${count} in ${beatSeconds.toFixed(1)} s (${rate.toFixed(1)}/s = ${fleet.length} gateways every ${HEARTBEAT_INTERVAL_MS / 1000} s, ${failed} failed): control-plane CPU ${((beatCpu / beatSeconds) * 100).toFixed(1)} % of a core, ${((beatCpu * 1000) / Math.max(1, count)).toFixed(2)} ms/heartbeat`,
    );

    // The idle fleet: polls (every poll-ms, jittered) and change-stream pings, no heartbeats.
    for (const gw of fleet) gw.pollsPaused = false;
    await new Promise((r) => setTimeout(r, POLL_MS));
    const syncsIdle0 = syncsNow();
    const cpuIdle0 = cpuSeconds(info.pid);
    const idleStart = performance.now();
    await new Promise((r) => setTimeout(r, POLL_MS));
    const idleSeconds = (performance.now() - idleStart) / 1000;
    const idleCpu = cpuSeconds(info.pid) - cpuIdle0;
    const idleSyncs = syncsNow() - syncsIdle0;
    console.log(
      `idle polls   ${idleSyncs} syncs in ${idleSeconds.toFixed(1)} s: control-plane CPU ${((idleCpu / idleSeconds) * 100).toFixed(1)} % of a core, ${((idleCpu * 1000) / Math.max(1, idleSyncs)).toFixed(2)} ms/poll; streams open ${fleet.filter((g) => g.streamOpen).length}/${fleet.length}`,
    );
  } finally {
    probe.close();
    for (const gw of fleet) gw.stop();
    const exited = new Promise((r) => child.once('exit', r));
    if (child.exitCode === null) child.kill('SIGTERM');
    // A control plane that does not finish closing (connections held) must not hold the benchmark.
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(kill);
    // destroy, not close: close waits for requests still in flight against the stopped control plane.
    await agent.destroy().catch(() => undefined);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
