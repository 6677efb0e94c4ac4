/**
 * Rate-limit, quota and response cache through two real gateways sharing a real Redis Cluster (3
 * masters) and a real Sentinel set-up (master, replica, 2 sentinels), both started by this file:
 * counting stays exact across gateways, survives a script flush and a failover, and an unreachable
 * cluster degrades to per-gateway counting as a single Redis does. The same over TLS (`rediss://`)
 * to a redis-server with a throw-away CA, and a server signed by another CA refused; and to a TLS-only
 * Cluster (`rediss+cluster://`, `tls-cluster yes`).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { silentLogger } from '@gatehouse/core';
import { startTestGateway, startTestUpstream, type TestGateway, type TestUpstream } from '@gatehouse/gateway/testing';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisTlsHandle, redisTlsAvailable, startRedisTls } from '../testing/redis-tls.js';
import {
  type RedisClusterHandle,
  type RedisSentinelHandle,
  redisServerAvailable,
  startRedisCluster,
  startRedisSentinel,
} from '../testing/redis-topologies.js';
import { counterKey, createStores, type Stores } from './index.js';

const redisServer = redisServerAvailable();
const redisTls = redisTlsAvailable();
const RATE_LIMIT = 7;
// Passwords with characters a URL must escape: the URL forms carry them to every node and sentinel.
const DATA_PASSWORD = 'd@ta pw/1';
const SENTINEL_PASSWORD = 's;pw?&';
const QUOTA = 9;

/** Three APIs: a rate-limit and a quota keyed by x-tenant (a fresh counter per test), and a cache. */
function document(upstreamUrl: string) {
  const api = (id: string, policies: unknown[], plans: unknown[] = []) => ({
    id,
    name: id,
    basePath: `/${id}`,
    upstream: { targets: [{ url: upstreamUrl }] },
    plans: [{ id: 'open', security: { type: 'keyless' }, policies: plans }],
    policies,
  });
  const key = 'request.headers["x-tenant"]';
  return {
    version: 1,
    apis: [
      api('rl', [], [{ policy: 'rate-limit', config: { limit: RATE_LIMIT, window: '1h', key } }]),
      api('quota', [], [{ policy: 'quota', config: { limit: QUOTA, period: 'day', key } }]),
      api('cache', [{ policy: 'cache', config: { ttl: '1m' } }]),
    ],
  };
}

/** Sends `count` requests alternating between the gateways, in parallel; returns how many got 200. */
async function admitted(gateways: TestGateway[], path: string, tenant: string, count: number): Promise<number> {
  const statuses = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const res = await gateways[i % gateways.length]!.fetch(path, { headers: { 'x-tenant': tenant } });
      await res.arrayBuffer();
      return res.status;
    }),
  );
  expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
  return statuses.filter((status) => status === 200).length;
}

/** GET with the Host a load balancer would pass on to both gateways (the Host is part of the cache key). */
function getWithHost(gw: TestGateway, path: string): Promise<{ cache: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${gw.url}${path}`, { headers: { host: 'api.example.com' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ cache: res.headers['x-cache'] as string | undefined, body }));
      })
      .on('error', reject);
  });
}

/** Number of gateway connections (named `gatehouse`) a Redis holds. */
async function gatewayConnections(port: number): Promise<number> {
  const admin = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, password: DATA_PASSWORD });
  try {
    const list = (await admin.call('CLIENT', 'LIST')) as string;
    return list.split('\n').filter((line) => line.includes(' name=gatehouse ')).length;
  } finally {
    admin.disconnect();
  }
}

/** Waits until every gateway connection has left `from` and reached `to` (2 gateways x counters + cache). */
async function untilMoved(from: number, to: number): Promise<void> {
  const deadline = Date.now() + 8000;
  while ((await gatewayConnections(from)) > 0 || (await gatewayConnections(to)) < 4) {
    if (Date.now() > deadline) throw new Error('gateway connections did not move to the new master');
    await sleep(100);
  }
}

function sharedStateSuite(name: string, start: () => Promise<{ url: string; close(): Promise<void> }>) {
  const state: {
    upstream?: TestUpstream;
    gateways: TestGateway[];
    stores: Stores[];
    topology?: { url: string; close(): Promise<void> };
  } = { gateways: [], stores: [] };
  beforeAll(async () => {
    state.topology = await start();
    let served = 0;
    state.upstream = await startTestUpstream((_req, res) => {
      const body = String(++served);
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    const doc = document(state.upstream.url);
    // The gateway's own stores, with a command timeout a loaded CI machine keeps within (at 100 ms some
    // hits would fall back to memory and the counts stop being exact; the fallback has its own test).
    state.stores = [0, 1].map(() =>
      createStores({ redisUrl: state.topology!.url, logger: silentLogger(), commandTimeoutMs: 2000 }),
    );
    await Promise.all(state.stores.map((stores) => stores.ready(5000)));
    state.gateways = await Promise.all(state.stores.map((stores) => startTestGateway(doc, { stores })));
  }, 20_000);
  afterAll(async () => {
    await Promise.all(state.gateways.map((gw) => gw.close()));
    await Promise.all(state.stores.map((stores) => stores.close()));
    await state.upstream?.close();
    await state.topology?.close();
  });

  it(`${name}: rate-limit admits exactly the limit across two gateways`, async () => {
    expect(await admitted(state.gateways, '/rl/x', randomUUID(), 3 * RATE_LIMIT)).toBe(RATE_LIMIT);
  });

  it(`${name}: quota admits exactly the limit across two gateways`, async () => {
    expect(await admitted(state.gateways, '/quota/x', randomUUID(), 3 * QUOTA)).toBe(QUOTA);
  });

  it(`${name}: a response cached by one gateway is served by the other`, async () => {
    const path = `/cache/item-${randomUUID()}`;
    const [a, b] = state.gateways as [TestGateway, TestGateway];
    const first = await getWithHost(a, path);
    expect(first.cache).toBe('MISS');
    // The store write is not awaited by the response: poll B until the entry is there.
    let second = await getWithHost(b, path);
    for (let attempt = 0; attempt < 40 && second.cache !== 'HIT'; attempt++) {
      await sleep(25);
      second = await getWithHost(b, path);
    }
    expect(second).toEqual({ cache: 'HIT', body: first.body });
  });
  return state;
}

describe.skipIf(!redisServer.available)('Redis Cluster (3 masters, password)', () => {
  let cluster: RedisClusterHandle;
  const state = sharedStateSuite('cluster', async () => {
    // Partial coverage: the live masters still answer once the others mark a dead one as failed.
    cluster = await startRedisCluster({ masters: 3, password: DATA_PASSWORD, partialCoverage: true });
    return cluster;
  });

  it('spreads counters over the masters, each key and its windows in one slot', async () => {
    await Promise.all(Array.from({ length: 12 }, () => admitted(state.gateways, '/rl/x', randomUUID(), 1)));
    const perNode = await cluster.onEveryNode('DBSIZE');
    expect(perNode.filter((keys) => Number(keys) > 0).length).toBeGreaterThan(1);
  });

  it('counts a key holding braces in one slot (a } could otherwise split a key from its windows)', async () => {
    const request = { key: `}odd{key}-${randomUUID()}`, windowMs: 60_000, limit: 10, algorithm: 'sliding' as const };
    const [a, b] = state.stores as [Stores, Stores];
    expect(await a.counters.hit(request)).toMatchObject({ count: 1, degraded: false });
    expect(await b.counters.hit(request)).toMatchObject({ count: 2, degraded: false });
  });

  it('keeps counting exactly after the scripts are flushed on every node (NOSCRIPT fallback)', async () => {
    const tenant = randomUUID();
    expect(await admitted(state.gateways, '/rl/x', tenant, 3)).toBe(3);
    await cluster.onEveryNode('SCRIPT', 'FLUSH');
    expect(await admitted(state.gateways, '/rl/x', tenant, 2 * RATE_LIMIT)).toBe(RATE_LIMIT - 3);
  });

  it('one dead master sends only its own slots to memory: keys on the other masters stay shared', async () => {
    const dead = cluster.nodes[0]!;
    // The slot ranges the dead master serves, asked before it dies: [start, end, [host, port], ...replicas].
    const [slots] = (await cluster.onEveryNode('CLUSTER', 'SLOTS')) as [Array<[number, number, [string, number]]>];
    const ranges = slots.filter(([, , [, port]]) => port === dead.port);
    const onDead = (key: string) => {
      const slot = calculateSlot(counterKey('gatehouse:', key));
      return ranges.some(([start, end]) => slot >= start && slot <= end);
    };
    await dead.kill();
    const [a, b] = state.stores as [Stores, Stores];
    // Enough keys that both kinds occur whatever the slots; one after the other, within the guard's second.
    const keys = Array.from({ length: 40 }, () => randomUUID());
    expect(keys.some(onDead) && !keys.every(onDead)).toBe(true);
    for (const key of keys) {
      const request = { key, windowMs: 60_000, limit: 10, algorithm: 'sliding' as const };
      await a.counters.hit(request);
      const second = await b.counters.hit(request);
      // Shared count (2) on a live master; each gateway's own (1) where the master is dead.
      expect({ key, onDead: onDead(key), second }).toEqual({
        key,
        onDead: onDead(key),
        second: expect.objectContaining(onDead(key) ? { count: 1, degraded: true } : { count: 2, degraded: false }),
      });
    }
  });

  // Last: kills the cluster. Same documented behaviour as one Redis: requests keep being served,
  // each gateway enforcing the limit on its own (so two gateways admit up to twice the limit).
  it('an unreachable cluster mid-traffic degrades to per-gateway counting, never to errors', async () => {
    const [a, b] = state.gateways as [TestGateway, TestGateway];
    // Traffic on both gateways while every node is killed: each answer is a 200 or a 429, never a 5xx.
    const statuses: number[] = [];
    let stop = false;
    const traffic = [a, b].map(async (gw) => {
      while (!stop) {
        const res = await gw.fetch('/rl/x', { headers: { 'x-tenant': 'busy' } });
        await res.arrayBuffer();
        statuses.push(res.status);
      }
    });
    await sleep(100);
    await Promise.all(cluster.nodes.map((node) => node.kill()));
    await sleep(300);
    stop = true;
    await Promise.all(traffic);
    expect(statuses.length).toBeGreaterThan(2);
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);

    const tenant = randomUUID();
    const sequential = async (gw: TestGateway, count: number) => {
      let ok = 0;
      for (let i = 0; i < count; i++) {
        const res = await gw.fetch('/rl/x', { headers: { 'x-tenant': tenant } });
        await res.text();
        expect([200, 429]).toContain(res.status);
        if (res.status === 200) ok++;
      }
      return ok;
    };
    expect(await sequential(a, RATE_LIMIT + 3)).toBe(RATE_LIMIT);
    expect(await sequential(b, RATE_LIMIT + 3)).toBe(RATE_LIMIT);
    const path = `/cache/down-${randomUUID()}`;
    expect((await getWithHost(a, path)).cache).toBe('MISS');
  });
});

describe.skipIf(!redisServer.available)('Redis Sentinel (master, replica, 2 sentinels; passwords)', () => {
  let sentinel: RedisSentinelHandle;
  const state = sharedStateSuite('sentinel', async () => {
    sentinel = await startRedisSentinel({
      sentinels: 2,
      password: DATA_PASSWORD,
      sentinelPassword: SENTINEL_PASSWORD,
    });
    return sentinel;
  });

  it('keeps counting across a failover (SENTINEL FAILOVER): the promoted replica has the counts', async () => {
    const tenant = randomUUID();
    expect(await admitted(state.gateways, '/rl/x', tenant, 4)).toBe(4);
    // The replica has every write before the switch (WAIT), so the count carries over exactly.
    const master = new Redis({ port: sentinel.master.port, host: '127.0.0.1', password: DATA_PASSWORD });
    await master.call('WAIT', '1', '2000');
    master.disconnect();
    const promoted = await sentinel.failover();
    expect(promoted).toBe(sentinel.replica.port);
    await untilMoved(sentinel.master.port, promoted);
    expect(await admitted(state.gateways, '/rl/x', tenant, 2 * RATE_LIMIT)).toBe(RATE_LIMIT - 4);
  });
});

/** Node 24's CA store calls (newer than the @types/node in use). */
const caStore = tls as typeof tls & {
  getCACertificates(type: 'default'): string[];
  setDefaultCACertificates(certs: string[]): void;
};

describe.skipIf(!redisTls.available)('Redis over TLS (rediss://, a throw-away CA)', () => {
  const systemCas = caStore.getCACertificates('default');
  let server: RedisTlsHandle;
  sharedStateSuite('tls', async () => {
    server = await startRedisTls();
    // What NODE_EXTRA_CA_CERTS does for a deployed gateway (read at start only, so set here in-process).
    caStore.setDefaultCACertificates([...systemCas, server.caPem]);
    return server;
  });
  afterAll(() => caStore.setDefaultCACertificates(systemCas));

  it('refuses a server whose certificate another CA signed, and counts in memory instead', async () => {
    const impostor = await startRedisTls();
    const stores = createStores({ redisUrl: impostor.url, logger: silentLogger(), commandTimeoutMs: 2000 });
    try {
      expect(await stores.ready(1500)).toBe(false);
      const request = { key: `tls-${randomUUID()}`, windowMs: 60_000, limit: 10, algorithm: 'sliding' as const };
      expect(await stores.counters.hit(request)).toMatchObject({ count: 1, degraded: true });
      // The impostor got no command: nothing was written to it.
      const admin = new Redis({ port: impostor.port, host: '127.0.0.1', tls: { ca: impostor.caPem } });
      expect(await admin.dbsize()).toBe(0);
      admin.disconnect();
    } finally {
      await stores.close();
      await impostor.close();
    }
  });

  it('the trusted server holds the counters (the traffic went through TLS, not memory)', async () => {
    const admin = new Redis({ port: server.port, host: '127.0.0.1', tls: { ca: server.caPem } });
    expect(await admin.dbsize()).toBeGreaterThan(0);
    admin.disconnect();
  });
});

describe.skipIf(!redisTls.available || !redisServer.available)('Redis Cluster over TLS (rediss+cluster://)', () => {
  const systemCas = caStore.getCACertificates('default');
  let cluster: RedisClusterHandle;
  const state = sharedStateSuite('tls cluster', async () => {
    cluster = await startRedisCluster({ masters: 3, password: DATA_PASSWORD, tls: true });
    // The operator's NODE_EXTRA_CA_CERTS (read at start only, so set here in-process).
    caStore.setDefaultCACertificates([...systemCas, cluster.caPem!]);
    return cluster;
  });
  afterAll(() => caStore.setDefaultCACertificates(systemCas));

  it('reaches every master over TLS (no node has a plaintext port) and spreads counters over them', async () => {
    expect(cluster.url).toMatch(/^rediss\+cluster:\/\//);
    await Promise.all(Array.from({ length: 12 }, () => admitted(state.gateways, '/rl/x', randomUUID(), 1)));
    const perNode = await cluster.onEveryNode('DBSIZE');
    expect(perNode.filter((keys) => Number(keys) > 0).length).toBeGreaterThan(1);
    // The nodes the client learned from CLUSTER SLOTS are the TLS ports: counting stayed exact above.
    const [a] = state.stores as [Stores];
    expect(await a.ready(1000)).toBe(true);
  });

  it('verifies node certificates by host name: seeds and announced nodes named, not resolved to addresses', async () => {
    const named = await startRedisCluster({ masters: 2, tls: true, hostnames: true });
    caStore.setDefaultCACertificates([...systemCas, cluster.caPem!, named.caPem!]);
    const stores = createStores({ redisUrl: named.url, logger: silentLogger(), commandTimeoutMs: 2000 });
    try {
      expect(named.url).toMatch(/^rediss\+cluster:\/\/localhost:\d+,localhost:\d+$/);
      expect(await stores.ready(5000)).toBe(true);
      const request = { key: `named-${randomUUID()}`, windowMs: 60_000, limit: 10, algorithm: 'sliding' as const };
      expect(await stores.counters.hit(request)).toMatchObject({ count: 1, degraded: false });
    } finally {
      await stores.close();
      await named.close();
      caStore.setDefaultCACertificates([...systemCas, cluster.caPem!]);
    }
  });

  it('refuses a TLS Cluster whose CA is not trusted, and counts in memory instead', async () => {
    const impostor = await startRedisCluster({ masters: 1, tls: true });
    const stores = createStores({ redisUrl: impostor.url, logger: silentLogger(), commandTimeoutMs: 2000 });
    try {
      expect(await stores.ready(1500)).toBe(false);
      const request = { key: `tls-${randomUUID()}`, windowMs: 60_000, limit: 10, algorithm: 'sliding' as const };
      expect(await stores.counters.hit(request)).toMatchObject({ count: 1, degraded: true });
      expect(await impostor.onEveryNode('DBSIZE')).toEqual([0]);
    } finally {
      await stores.close();
      await impostor.close();
    }
  });
});
