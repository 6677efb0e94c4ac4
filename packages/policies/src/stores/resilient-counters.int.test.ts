import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { serviceUrl } from '@gatehouse/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HitRequest } from '../sdk/counters/types.js';
import { captureLogger, WARN } from '../testing/index.js';
import { createFailFastClient } from './redis-client.js';
import { RedisCounterStore } from './redis-counters.js';
import { ResilientCounterStore } from './resilient-counters.js';
import { startTcpProxy, type TcpProxy } from './test-support/tcp-proxy.js';

const redis = serviceUrl('REDIS_URL');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function resilientStore(url: string, retryAfterMs = 100, commandTimeoutMs = 80) {
  const { logger, lines } = captureLogger();
  const fallbacks: string[] = [];
  const client = createFailFastClient(url, { commandTimeoutMs, maxReconnectDelayMs: 100 });
  const store = new ResilientCounterStore(new RedisCounterStore(client, { keyPrefix: `gh-test:${randomUUID()}:` }), {
    target: 'test',
    logger,
    onFallback: (s) => fallbacks.push(s),
    retryAfterMs,
  });
  cleanups.push(() => store.close());
  const warnings = () => lines.filter((l) => l.level === WARN);
  return { store, client, lines, fallbacks, warnings };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
}

// Anchored at load time so the test never straddles a window boundary (epoch-aligned minutes would).
const request: HitRequest = {
  key: 'client-1',
  windowMs: 60_000,
  windowStartMs: Date.now(),
  algorithm: 'fixed',
  limit: 5,
};

describe('ResilientCounterStore with Redis unreachable', () => {
  it('counts locally, reports degraded, warns once and counts every fallback', async () => {
    const { store, fallbacks, warnings } = resilientStore('redis://127.0.0.1:1');
    // Let the first connection attempt fail: before that the store falls back without warning.
    await sleep(100);
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await store.hit(request));
    expect(results.every((r) => r.degraded)).toBe(true);
    // The limit still holds locally.
    expect(results.map((r) => r.count <= request.limit)).toEqual([true, true, true, true, true, false, false, false]);
    expect(fallbacks).toHaveLength(8);
    expect(fallbacks.every((s) => s === 'counters')).toBe(true);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.msg).toMatch(/Redis unreachable/);
    // peek and add degrade as well instead of throwing.
    expect((await store.peek(request)).count).toBe(5);
    expect(await store.add('approx', 60_000, 3)).toBe(3);
  });

  it('answers at once while Redis is down (no queueing behind reconnects)', async () => {
    // A command timeout longer than the test's: a hit queued behind the reconnects (nothing ever
    // listens there) would never settle, so settling at all shows nothing waited.
    const { store } = resilientStore('redis://127.0.0.1:1', 100, 600_000);
    const results = await Promise.all(Array.from({ length: 100 }, () => store.hit(request)));
    expect(results.every((r) => r.degraded)).toBe(true);
  });
});

describe.skipIf(!redis.url)('ResilientCounterStore through a proxy that goes away', () => {
  let proxy: TcpProxy;

  async function setup() {
    const target = new URL(redis.url!);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    cleanups.push(() => proxy.close());
    const fixture = resilientStore(proxy.url);
    await eventually(async () => fixture.client.status === 'ready');
    return fixture;
  }

  it('falls back when Redis goes away mid-test and returns to Redis when it is back', async () => {
    const { store, fallbacks, warnings, lines } = await setup();
    const before = [await store.hit(request), await store.hit(request)];
    expect(before.map((r) => [r.count, r.degraded])).toEqual([
      [1, false],
      [2, false],
    ]);

    await proxy.cut();
    const during = [];
    for (let i = 0; i < 6; i++) during.push(await store.hit(request));
    expect(during.every((r) => r.degraded)).toBe(true);
    expect(fallbacks.length).toBeGreaterThanOrEqual(6);
    expect(warnings()).toHaveLength(1);

    await proxy.restore();
    await eventually(async () => !(await store.peek(request)).degraded);
    // Back on Redis: the shared count resumes from its pre-outage value (local counts stay local).
    const after = await store.hit(request);
    expect(after).toMatchObject({ count: 3, degraded: false });
    expect(lines.some((l) => l.msg === 'Redis recovered')).toBe(true);
    expect(warnings()).toHaveLength(1);
  });

  it('treats a Redis that stops answering as down (command timeout), and recovers when it answers', async () => {
    const { store, client, warnings } = await setup();
    expect((await store.hit(request)).degraded).toBe(false);
    proxy.pause();
    // Only the command timeout can settle this hit: the paused proxy never answers.
    const slow = await store.hit(request);
    expect(slow.degraded).toBe(true);
    // Within retryAfterMs the store does not wait on Redis again: no command is sent (counted, not timed).
    const sent = vi.spyOn(client, 'sendCommand');
    expect((await store.hit(request)).degraded).toBe(true);
    expect(sent).not.toHaveBeenCalled();
    expect(warnings()).toHaveLength(1);
    proxy.resume();
    await eventually(async () => !(await store.peek(request)).degraded);
  });
});
