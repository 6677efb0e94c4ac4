/**
 * `npm run bench:counter-transport`: what one node-wide counter hit costs between worker threads, for
 * docs/decisions/0010-gateway-workers.md. (a) A MessagePort round trip to a primary thread that owns a
 * Map of counters, with 1, 16 and 64 hits per message (the gateway batches the hits of one event-loop
 * turn). (b) Atomics.add on a SharedArrayBuffer slot: the floor any shared-memory design could reach.
 * Reports hits per second and process CPU per hit (all threads).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

interface Result {
  hits: number;
  seconds: number;
}

async function worker(): Promise<void> {
  const { mode, batch, shared } = workerData as { mode: 'port' | 'atomics'; batch: number; shared: SharedArrayBuffer };
  const until = Date.now() + SECONDS * 1000;
  let hits = 0;
  const started = process.hrtime.bigint();
  if (mode === 'atomics') {
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
  parentPort!.postMessage({ done: { hits, seconds } satisfies Result });
}

async function measure(mode: 'port' | 'atomics', batch: number): Promise<void> {
  const shared = new SharedArrayBuffer(4 * 1024);
  const counts = new Map<string, number>();
  const cpu0 = process.cpuUsage();
  const w = new Worker(new URL(import.meta.url), { workerData: { mode, batch, shared } });
  const result = await new Promise<Result>((resolve) => {
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
  const cpu = process.cpuUsage(cpu0);
  await w.terminate();
  const usPerHit = (cpu.user + cpu.system) / result.hits;
  const label = mode === 'atomics' ? 'SharedArrayBuffer + Atomics.add' : `MessagePort, ${batch} hit(s) per message`;
  process.stdout.write(
    `${label.padEnd(40)} ${Math.round(result.hits / result.seconds)
      .toString()
      .padStart(10)} hits/s  ${usPerHit.toFixed(3).padStart(8)} us CPU/hit\n`,
  );
}

if (isMainThread) {
  process.stdout.write(`Counter transport between threads (${SECONDS}s each; CPU of the whole process)\n`);
  for (const batch of [1, 16, 64]) await measure('port', batch);
  await measure('atomics', 1);
} else {
  await worker();
}
