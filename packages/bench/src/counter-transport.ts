/**
 * `npm run bench:counter-transport`: what one node-wide counter hit costs between worker threads, for
 * docs/decisions/0010-gateway-workers.md. (a) A MessagePort round trip to a primary thread that owns a
 * Map of counters, with 1, 16 and 64 hits per message (the gateway batches the hits of one event-loop
 * turn). (b) Atomics.add on a SharedArrayBuffer slot: the floor any shared-memory design could reach.
 * (c) SharedCounterStore.hit on the gateway's SharedTable (hash, key compare, slot lock, window
 * arithmetic), from one and from two threads at once (two: contending for the same 64 keys). (d) A
 * concurrency slot taken and given back in the table (SharedSlots: what a queue-less concurrency-limit
 * does per request), one and two threads on the same 64 pools.
 * Reports hits per second and process CPU per hit (all threads).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { CounterStore } from '@gatehouse/policies';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

/** process.threadCpuUsage (Node >= 23.9; not yet in @types/node). */
const threadCpuUsage = (previous?: NodeJS.CpuUsage): NodeJS.CpuUsage =>
  (process as unknown as { threadCpuUsage(p?: NodeJS.CpuUsage): NodeJS.CpuUsage }).threadCpuUsage(previous);

interface Result {
  hits: number;
  seconds: number;
  /** CPU of the hitting thread during its loop only (table mode: module loading left out). */
  threadCpuUs?: number;
}

async function worker(): Promise<void> {
  const { mode, batch, shared, holdings, owner } = workerData as {
    mode: Mode;
    batch: number;
    shared: SharedArrayBuffer;
    holdings: SharedArrayBuffer | undefined;
    owner: number;
  };
  // Loaded here, not at the top: the other modes' threads must not pay for loading the policies.
  const { SharedCounterStore, SharedSlots, SharedTable } =
    mode === 'table' || mode === 'slots' ? await import('@gatehouse/policies') : ({} as never);
  const until = Date.now() + SECONDS * 1000;
  let hits = 0;
  const started = process.hrtime.bigint();
  const cpu0 = threadCpuUsage();
  if (mode === 'table') {
    const store = new SharedCounterStore(new SharedTable({ buffer: shared }), undefined as unknown as CounterStore);
    const keys = Array.from({ length: 64 }, (_, i) => `rl:apis[0].plans[0].policies[0]:60000:subscription-${i}`);
    while (Date.now() < until) {
      for (let i = 0; i < 1000; i++)
        store.hit({ key: keys[(hits + i) & 63]!, windowMs: 60_000, algorithm: 'fixed', limit: 1e12 });
      hits += 1000;
    }
  } else if (mode === 'slots') {
    const slots = new SharedSlots(new SharedTable({ buffer: shared, owner }), { buffer: holdings, owner });
    const keys = Array.from({ length: 64 }, (_, i) => `cc:apis[0].policies[0]:subscription-${i}`);
    while (Date.now() < until) {
      for (let i = 0; i < 1000; i++) {
        const key = keys[(hits + i) & 63]!;
        if (slots.acquire(key, 1e6) === 'acquired') slots.release(key, 1e6);
      }
      hits += 1000;
    }
  } else if (mode === 'atomics') {
    const counters = new Int32Array(shared);
    while (Date.now() < until) {
      for (let i = 0; i < 1000; i++) Atomics.add(counters, (hits + i) & 1023, 1);
      hits += 1000;
    }
  } else {
    const port = parentPort!;
    let next = 0;
    while (Date.now() < until) {
      const ops = Array.from({ length: batch }, (_, i) => ({ id: next + i, op: 'hit', key: `rl:bench:${i & 63}` }));
      next += batch;
      const answered = new Promise<void>((resolve) => port.once('message', () => resolve()));
      port.postMessage(ops);
      await answered;
      hits += batch;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = threadCpuUsage(cpu0);
  parentPort!.postMessage({ done: { hits, seconds, threadCpuUs: cpu.user + cpu.system } satisfies Result });
}

type Mode = 'port' | 'atomics' | 'table' | 'slots';

async function measure(mode: Mode, batch: number, threads = 1): Promise<void> {
  const policies = mode === 'table' || mode === 'slots' ? await import('@gatehouse/policies') : undefined;
  const table = policies ? new policies.SharedTable({ capacity: 1024 }) : undefined;
  const shared = table?.buffer ?? new SharedArrayBuffer(4 * 1024);
  const holdings =
    mode === 'slots' && policies && table ? new policies.SharedSlots(table, { owners: threads }).buffer : undefined;
  const counts = new Map<string, number>();
  const cpu0 = process.cpuUsage();
  const workers = Array.from(
    { length: threads },
    (_, i) => new Worker(new URL(import.meta.url), { workerData: { mode, batch, shared, holdings, owner: i + 1 } }),
  );
  const results = await Promise.all(workers.map((w) => run(w, counts)));
  const result = { hits: results.reduce((s, r) => s + r.hits, 0), seconds: Math.max(...results.map((r) => r.seconds)) };
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(workers.map((w) => w.terminate()));
  // Messages: the whole process (both ends work per hit). Table: the hitting threads' loops alone (nothing else works).
  const cpuUs =
    mode === 'table' || mode === 'slots'
      ? results.reduce((s, r) => s + (r.threadCpuUs ?? 0), 0)
      : cpu.user + cpu.system;
  const usPerHit = cpuUs / result.hits;
  const label =
    mode === 'atomics'
      ? 'SharedArrayBuffer + Atomics.add'
      : mode === 'table'
        ? `SharedCounterStore.hit, ${threads} thread(s)`
        : mode === 'slots'
          ? `SharedSlots acquire+release, ${threads} thr.`
          : `MessagePort, ${batch} hit(s) per message`;
  process.stdout.write(
    `${label.padEnd(40)} ${Math.round(result.hits / result.seconds)
      .toString()
      .padStart(10)} hits/s  ${usPerHit.toFixed(3).padStart(8)} us CPU/hit\n`,
  );
}

function run(w: Worker, counts: Map<string, number>): Promise<Result> {
  return new Promise<Result>((resolve) => {
    w.on('message', (message: Array<{ id: number; key: string }> | { done: Result }) => {
      if (!Array.isArray(message)) return resolve(message.done);
      // The primary's side: count each hit, answer the batch in one message.
      const answers = message.map((op) => {
        const count = (counts.get(op.key) ?? 0) + 1;
        counts.set(op.key, count);
        return [op.id, { count, resetMs: 1000, degraded: false }];
      });
      w.postMessage(answers);
    });
  });
}

if (isMainThread) {
  process.stdout.write(`Counter transport between threads (${SECONDS}s each; CPU of the whole process)\n`);
  for (const batch of [1, 16, 64]) await measure('port', batch);
  await measure('atomics', 1);
  await measure('table', 1, 1);
  await measure('table', 1, 2);
  await measure('slots', 1, 1);
  await measure('slots', 1, 2);
} else {
  await worker();
}
