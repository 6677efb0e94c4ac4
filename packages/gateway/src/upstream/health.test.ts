import type { Upstream as UpstreamConfig } from '@gatehouse/config';
import { GatewayError } from '@gatehouse/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HealthRegistry } from './health-registry.js';
import { PoolManager } from './pool-manager.js';
import { readAll, sleep, startServer, type TestServer, waitFor } from './test-support/servers.js';
import type { CircuitState, UpstreamObserver, UpstreamRequest } from './types.js';
import { Upstream } from './upstream.js';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/**
 * Cooldowns and open durations are read from Date.now(): a test freezes that clock and moves it, so a
 * slow machine can neither end a cooldown early nor need a longer sleep (sockets keep real timers).
 */
function manualClock() {
  vi.useFakeTimers({ toFake: ['Date'] });
  return { advance: (ms: number) => vi.setSystemTime(Date.now() + ms) };
}

/** A server whose answer the test flips: `status` for every path, `health` for /health. */
async function switchable() {
  const control = { status: 200, health: 200 };
  const server = await startServer((req, res) => {
    res.statusCode = req.url === '/health' ? control.health : control.status;
    res.end(String(res.statusCode));
  });
  cleanup.push(() => server.close());
  return { server, control };
}

function track(observer: UpstreamObserver = {}) {
  const events: string[] = [];
  return {
    events,
    observer: {
      onTargetStateChange: (_api: string, target: string, state: string) => events.push(`${target} ${state}`),
      onCircuitStateChange: (_api: string, state: CircuitState) => events.push(`circuit ${state}`),
      ...observer,
    } satisfies UpstreamObserver,
  };
}

function make(config: Partial<UpstreamConfig> & Pick<UpstreamConfig, 'targets'>, observer?: UpstreamObserver) {
  const pools = new PoolManager();
  const instance = new Upstream('api', config as UpstreamConfig, pools, observer ? { observer } : {});
  cleanup.push(async () => {
    await instance.close();
    await pools.close();
  });
  return instance;
}

const get: UpstreamRequest = { method: 'GET', path: '/', headers: {}, body: null };
const send = async (instance: Upstream) => {
  const response = await instance.send({ ...get, headers: {} });
  await readAll(response.body);
  return response;
};

describe('passive health', () => {
  it('ejects a target after consecutive failures, skips it, and brings it back after the cooldown', async () => {
    const clock = manualClock();
    const a = await switchable();
    const b = await switchable();
    const { events, observer } = track();
    const instance = make(
      {
        targets: [{ url: a.server.url }, { url: b.server.url }],
        retries: { attempts: 0, onStatus: [500] },
        healthCheck: { passive: { failures: 2, cooldown: '300ms' } },
      },
      observer,
    );
    a.control.status = 500;
    // Round-robin: a, b, a -> a's second consecutive failure ejects it.
    expect((await send(instance)).statusCode).toBe(500);
    await send(instance);
    expect((await send(instance)).statusCode).toBe(500);
    const ejected = instance.state().targets[0]!;
    expect(ejected).toMatchObject({ url: a.server.url, healthy: false });
    expect(ejected.ejectedUntil).toBeGreaterThan(Date.now());

    a.control.status = 200;
    const before = a.server.requests.length;
    for (let i = 0; i < 4; i++) expect((await send(instance)).target).toBe(b.server.url);
    expect(a.server.requests.length).toBe(before);

    clock.advance(299);
    expect((await send(instance)).target).toBe(b.server.url);
    clock.advance(2);
    const targets = new Set<string>();
    for (let i = 0; i < 4; i++) targets.add((await send(instance)).target);
    expect(targets).toEqual(new Set([a.server.url, b.server.url]));
    expect(instance.state().targets[0]).toEqual({ url: a.server.url, healthy: true, inFlight: 0 });
    expect(events).toEqual([`${a.server.url} ejected`, `${a.server.url} healthy`]);
  });

  it('answers 503 no_healthy_target when every target is ejected', async () => {
    const a = await switchable();
    a.control.status = 502;
    const instance = make({
      targets: [{ url: a.server.url }],
      retries: { attempts: 0, onStatus: [502] },
      healthCheck: { passive: { failures: 1, cooldown: '10s' } },
    });
    expect((await send(instance)).statusCode).toBe(502);
    const error = await instance.send(get).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('no_healthy_target');
    expect((error as GatewayError).status).toBe(503);
    expect(a.server.requests).toHaveLength(1);
  });
});

describe('active health checks', () => {
  it('take a failing target out of rotation and bring it back once it passes again', async () => {
    const a = await switchable();
    const b = await switchable();
    const { events, observer } = track();
    const instance = make(
      {
        targets: [{ url: a.server.url }, { url: b.server.url }],
        healthCheck: {
          active: { path: '/health', interval: '30ms', timeout: '500ms', healthyThreshold: 2, unhealthyThreshold: 2 },
        },
      },
      observer,
    );
    await waitFor(() => a.server.requests.some((r) => r.url === '/health'), 10_000, 'first probe');
    a.control.health = 503;
    await waitFor(() => instance.state().targets[0]!.healthy === false, 10_000, 'target a unhealthy');
    const trafficBefore = a.server.requests.filter((r) => r.url === '/').length;
    for (let i = 0; i < 4; i++) expect((await send(instance)).target).toBe(b.server.url);
    expect(a.server.requests.filter((r) => r.url === '/').length).toBe(trafficBefore);

    a.control.health = 200;
    await waitFor(() => instance.state().targets[0]!.healthy, 10_000, 'target a healthy');
    const targets = new Set<string>();
    for (let i = 0; i < 4; i++) targets.add((await send(instance)).target);
    expect(targets.has(a.server.url)).toBe(true);
    expect(events).toEqual([`${a.server.url} unhealthy`, `${a.server.url} healthy`]);
  });

  it('stops probing when the upstream is closed', async () => {
    const a = await switchable();
    const pools = new PoolManager();
    cleanup.push(() => pools.close());
    const instance = new Upstream(
      'api',
      {
        targets: [{ url: a.server.url }],
        healthCheck: { active: { path: '/health', interval: '20ms' } },
      } as UpstreamConfig,
      pools,
    );
    await waitFor(() => a.server.requests.length >= 2, 10_000, 'probes');
    await instance.close();
    await sleep(30);
    const probes = a.server.requests.length;
    await sleep(100);
    expect(a.server.requests.length).toBe(probes);
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failed exchanges, answers 503 at once, and a half-open probe closes it', async () => {
    const clock = manualClock();
    const a = await switchable();
    const { events, observer } = track();
    const instance = make(
      {
        targets: [{ url: a.server.url }],
        retries: { attempts: 0, onStatus: [500] },
        healthCheck: { passive: { enabled: false } },
        circuitBreaker: { failureThreshold: 2, openDuration: '200ms', halfOpenRequests: 1 },
      },
      observer,
    );
    a.control.status = 500;
    await send(instance);
    await send(instance);
    expect(instance.state().circuit).toBe('open');

    const calls = a.server.requests.length;
    const connections = a.server.connections;
    const error = (await instance.send(get).catch((e: unknown) => e)) as GatewayError;
    expect(error).toBeInstanceOf(GatewayError);
    expect([error.code, error.status]).toEqual(['circuit_open', 503]);
    expect(error.headers?.['retry-after']).toBe('1');
    // At once: no upstream call and no new connection (counted, not timed).
    expect(a.server.requests.length).toBe(calls);
    expect(a.server.connections).toBe(connections);

    a.control.status = 200;
    clock.advance(199);
    expect(instance.state().circuit).toBe('open');
    clock.advance(2);
    expect(instance.state().circuit).toBe('half-open');
    expect((await send(instance)).statusCode).toBe(200);
    expect(instance.state().circuit).toBe('closed');
    expect(events).toEqual(['circuit open', 'circuit half-open', 'circuit closed']);
  });

  it('a failed half-open probe reopens the circuit; concurrent requests beyond the probes are refused', async () => {
    const clock = manualClock();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const control = { fail: true, hold: false };
    const server: TestServer = await startServer(async (_req, res) => {
      if (control.hold) await gate;
      res.statusCode = control.fail ? 500 : 200;
      res.end();
    });
    cleanup.push(() => server.close());
    const instance = make({
      targets: [{ url: server.url }],
      retries: { attempts: 0, onStatus: [500] },
      healthCheck: { passive: { enabled: false } },
      circuitBreaker: { failureThreshold: 1, openDuration: '100ms' },
    });
    await send(instance);
    expect(instance.state().circuit).toBe('open');
    clock.advance(101);
    control.hold = true;
    const probe = instance.send(get);
    const refused = (await instance.send(get).catch((e: unknown) => e)) as GatewayError;
    expect(refused.code).toBe('circuit_open');
    release();
    await readAll((await probe).body);
    expect(instance.state().circuit).toBe('open');
  });
});

describe('state across config versions', () => {
  it('an unchanged upstream config keeps its health and breaker state; a changed one starts fresh', async () => {
    const a = await switchable();
    a.control.status = 500;
    const pools = new PoolManager();
    cleanup.push(() => pools.close());
    const config = {
      targets: [{ url: a.server.url }],
      retries: { attempts: 0, onStatus: [500] },
      healthCheck: { passive: { failures: 1, cooldown: '10s' } },
    };
    const v1 = new Upstream('api', config as UpstreamConfig, pools);
    await send(v1);
    expect(v1.state().targets[0]!.healthy).toBe(false);

    // Same content, different key order: the reload keeps the ejection.
    const reordered = { healthCheck: config.healthCheck, retries: config.retries, targets: config.targets };
    const v2 = new Upstream('api', reordered as UpstreamConfig, pools);
    await v1.close();
    expect(v2.state().targets[0]!.healthy).toBe(false);

    const changed = new Upstream('api', { ...config, timeouts: { response: '5s' } } as UpstreamConfig, pools);
    const otherApi = new Upstream('other', config as UpstreamConfig, pools);
    expect(changed.state().targets[0]!.healthy).toBe(true);
    expect(otherApi.state().targets[0]!.healthy).toBe(true);
    for (const u of [v2, changed, otherApi]) await u.close();

    // Once nobody holds it the state is dropped, a later identical config starts fresh.
    const v3 = new Upstream('api', config as UpstreamConfig, pools);
    expect(v3.state().targets[0]!.healthy).toBe(true);
    await v3.close();

    // A registry of its own (e.g. per gateway instance in one process) shares nothing with the default one.
    const isolated = new HealthRegistry();
    const v4 = new Upstream('api', config as UpstreamConfig, pools, { health: isolated });
    await send(v4);
    const v5 = new Upstream('api', config as UpstreamConfig, pools);
    expect([v4.state().targets[0]!.healthy, v5.state().targets[0]!.healthy]).toEqual([false, true]);
    await v4.close();
    await v5.close();
  });
});

describe('active health check timeouts', () => {
  it('counts a probe that does not answer within `timeout` as a failure', async () => {
    const hanging = await startServer((req, res) => {
      if (req.url !== '/health') res.end('ok');
      // /health never answers
    });
    cleanup.push(() => hanging.close());
    const instance = make({
      targets: [{ url: hanging.url }],
      healthCheck: { active: { path: '/health', interval: '20ms', timeout: '50ms', unhealthyThreshold: 1 } },
    });
    await waitFor(() => instance.state().targets[0]!.healthy === false, 10_000, 'probe timeout');
  });
});
