/**
 * `npm run bench:queued-slots`: what a concurrency slot of a pool with a waiting line costs on a node of
 * two worker threads, shared memory (SharedNodeLimits over the primary's SharedTable and SharedSlots,
 * waiting in the workers' SlotLines) against messages (the gateway's PrimaryChannel and WorkerNodeLimits
 * to a LimitsHost on this thread, its SlotPool holding the line). The real classes, without HTTP: each
 * worker runs 16 clients that acquire, hold the slot for one event-loop turn (setImmediate) and release.
 * Two pools: one whose limit is never reached (line 100, limit 1,000,000: the fast path) and one of limit
 * 4 (line 100: 32 clients, so nearly every acquire waits and is handed a freed slot, possibly from the
 * other thread). Reports operations (acquire + release) per second, CPU per operation of the whole
 * process (all threads) and of this (primary) thread alone, and the most ever in flight.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const THREADS = 2;
const CLIENTS = 16;
const gatewayDist = new URL('../../gateway/dist/workers/', import.meta.url);

type Transport = 'messages' | 'shared';
interface Pool {
  name: string;
  limit: number;
  queueSize: number;
  queueTimeoutMs: number;
}
const POOLS: Pool[] = [
  { name: 'limit not reached', limit: 1_000_000, queueSize: 100, queueTimeoutMs: 30_000 },
  { name: 'limit reached (4)', limit: 4, queueSize: 100, queueTimeoutMs: 30_000 },
];

const threadCpuUsage = (previous?: NodeJS.CpuUsage): NodeJS.CpuUsage =>
  (process as unknown as { threadCpuUsage(p?: NodeJS.CpuUsage): NodeJS.CpuUsage }).threadCpuUsage(previous);

interface Row {
  ops: number;
  cpu: number;
  primary: number;
  most: number;
  crossings: number;
}

interface Done {
  ops: number;
  outcomes: Record<string, number>;
}

async function worker(): Promise<void> {
  const { transport, pool, table, words, owner, probe } = workerData as {
    transport: Transport;
    pool: Pool;
    table: SharedArrayBuffer | undefined;
    words: SharedArrayBuffer | undefined;
    owner: number;
    probe: SharedArrayBuffer;
  };
  const policies = await import('@gatehouse/policies');
  const { PrimaryChannel, WorkerNodeLimits } = (await import(
    new URL('primary-channel.js', gatewayDist).href
  )) as typeof import('../../gateway/dist/workers/primary-channel.js');
  const port = parentPort!;
  const channel = new PrimaryChannel(port);
  port.on('message', (message: { t: string; answers?: Array<[number, never]> }) => {
    if (message.t === 'answers') channel.answer(message.answers!);
  });
  const viaPrimary = new WorkerNodeLimits(channel);
  const limits =
    transport === 'shared' && table && words
      ? new policies.SharedNodeLimits(
          new policies.SharedTable({ buffer: table, owner }),
          viaPrimary,
          Date.now,
          new policies.SharedSlots(new policies.SharedTable({ buffer: table, owner }), { buffer: words, owner }),
        )
      : viaPrimary;
  const inFlight = new Int32Array(probe);
  // Both threads start together (module loading differs under load): [2] counts the ready ones.
  Atomics.add(inFlight, 2, 1);
  while (Atomics.load(inFlight, 2) < THREADS) Atomics.wait(inFlight, 2, Atomics.load(inFlight, 2), 5);
  const until = Date.now() + SECONDS * 1000;
  const outcomes: Record<string, number> = {};
  let ops = 0;
  const client = async () => {
    while (Date.now() < until) {
      const outcome = await limits.acquireSlot('cc:bench:pool', pool);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (outcome !== 'acquired') continue;
      const now = Atomics.add(inFlight, 0, 1) + 1;
      if (now > Atomics.load(inFlight, 1)) Atomics.store(inFlight, 1, now);
      await new Promise((resolve) => setImmediate(resolve));
      Atomics.sub(inFlight, 0, 1);
      limits.releaseSlot('cc:bench:pool', pool);
      ops++;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  port.postMessage({ t: 'done', done: { ops, outcomes } satisfies Done });
}

async function measure(transport: Transport, pool: Pool): Promise<Row> {
  const { LimitsHost } = (await import(
    new URL('limits-host.js', gatewayDist).href
  )) as typeof import('../../gateway/dist/workers/limits-host.js');
  const host = new LimitsHost({ sharedCounters: transport === 'shared', capacity: 1024, owners: THREADS });
  const probe = new SharedArrayBuffer(12);
  let messages = 0;
  const cpu0 = process.cpuUsage();
  const main0 = threadCpuUsage();
  const workers = Array.from({ length: THREADS }, (_, i) => {
    const w = new Worker(new URL(import.meta.url), {
      workerData: { transport, pool, table: host.table?.buffer, words: host.slots?.buffer, owner: i + 1, probe },
    });
    const limits = host.connect((message) => w.postMessage(message), i + 1);
    return new Promise<Done>((resolve, reject) => {
      w.on('message', (message: { t: string; ops?: never; done?: Done }) => {
        if (message.t === 'ops') {
          messages++;
          limits.handle(message.ops!);
        } else if (message.t === 'done') {
          resolve(message.done!);
          void w.terminate();
        }
      });
      w.once('error', reject);
    });
  });
  const results = await Promise.all(workers);
  const wakes = host.slots?.wakes ?? 0;
  const cpu = process.cpuUsage(cpu0);
  const main = threadCpuUsage(main0);
  await host.close();
  const ops = results.reduce((s, r) => s + r.ops, 0);
  // Module loading of the two threads is in both transports alike; the loop dominates at SECONDS >= 3.
  return {
    ops,
    cpu: (cpu.user + cpu.system) / ops,
    primary: (main.user + main.system) / ops,
    most: Atomics.load(new Int32Array(probe), 1),
    // Thread crossings per operation: messages to the primary (answers go back as many again), or wake-ups.
    crossings: (transport === 'shared' ? wakes : messages) / ops,
  };
}

if (isMainThread) {
  process.stdout.write(
    `Queued concurrency pools, ${THREADS} worker threads x ${CLIENTS} clients, ${SECONDS}s x ${ROUNDS} rounds\n`,
  );
  const rows = new Map<string, Row[]>();
  for (let round = 0; round < ROUNDS; round++)
    for (const pool of POOLS)
      for (const transport of ['messages', 'shared'] as const) {
        const key = `${pool.name} | ${transport}`;
        rows.set(key, [...(rows.get(key) ?? []), await measure(transport, pool)]);
      }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  for (const [key, list] of rows)
    process.stdout.write(
      `${key.padEnd(32)} ${Math.round(median(list.map((r) => r.ops)) / SECONDS)
        .toString()
        .padStart(8)} ops/s  CPU ${median(list.map((r) => r.cpu))
        .toFixed(2)
        .padStart(7)} us/op (all: ${list.map((r) => r.cpu.toFixed(1)).join(', ')})  primary ${median(
        list.map((r) => r.primary),
      )
        .toFixed(2)
        .padStart(6)} us/op  crossings ${median(list.map((r) => r.crossings)).toFixed(3)}/op  most in flight ${Math.max(
        ...list.map((r) => r.most),
      )}\n`,
    );
} else {
  await worker();
}
