/**
 * `npm run bench:redis`: what a counter hit costs the gateway process on one Redis, a 3-master
 * Cluster and a Sentinel-managed master (docs/decisions/0016-redis-cluster-sentinel.md). Each
 * topology is started from redis-server on loopback; 10 hits in flight (a few concurrent requests),
 * 500 keys, sliding window. Reports wall time and client CPU (user + system of this process) per hit,
 * rounds interleaved so a load spike hits every topology alike.
 */
import { silentLogger } from '@gatehouse/core';
import { createStores } from '@gatehouse/policies';
import { startRedisCluster, startRedisSentinel } from '@gatehouse/policies/testing';

const HITS = Number(process.env.BENCH_HITS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function measure(url: string): Promise<{ wallUs: number; cpuUs: number }> {
  const stores = createStores({ redisUrl: url, logger: silentLogger(), commandTimeoutMs: 5000 });
  await stores.ready(5000);
  const hit = (key: string) => stores.counters.hit({ key, windowMs: 60_000, limit: 1e9, algorithm: 'sliding' });
  for (let i = 0; i < 500; i++) await hit(`k${i}`); // warm: connections, scripts, keys
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 10 }, async (_, lane) => {
      for (let i = lane; i < HITS; i += 10) await hit(`k${i % 500}`);
    }),
  );
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await stores.close();
  return { wallUs: (wallMs * 1000) / HITS, cpuUs: (used.user + used.system) / HITS };
}

const cluster = await startRedisCluster({ masters: 3 });
const sentinel = await startRedisSentinel({ sentinels: 1 });
try {
  const topologies = [
    ['single', `redis://127.0.0.1:${sentinel.master.port}`],
    ['cluster (3 masters)', cluster.url],
    ['sentinel', sentinel.url],
  ] as const;
  const results = new Map<string, Array<{ wallUs: number; cpuUs: number }>>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, url] of topologies) results.set(name, [...(results.get(name) ?? []), await measure(url)]);
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`| Topology | wall us/hit (median of ${ROUNDS}) | client CPU us/hit (median) |`);
  console.log('| --- | --- | --- |');
  for (const [name, rows] of results) {
    console.log(
      `| ${name} | ${median(rows.map((r) => r.wallUs)).toFixed(0)} | ${median(rows.map((r) => r.cpuUs)).toFixed(1)} |`,
    );
  }
} finally {
  await cluster.close();
  await sentinel.close();
}
