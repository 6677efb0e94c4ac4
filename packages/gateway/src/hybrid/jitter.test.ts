/** Polls, heartbeats and retries are jittered (no thundering herd); the random source is pinned here. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@gatehouse/core';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { aroundInterval, Backoff } from './backoff.js';
import { ConfigSync } from './config-sync.js';
import { type ControlPlaneClient, ControlPlaneError } from './control-plane-client.js';
import { HeartbeatReporter } from './heartbeat.js';
import { HybridMetrics } from './metrics.js';
import { RecentErrors } from './recent-errors.js';

const metrics = () => new HybridMetrics(new Registry(), { staleness: () => 0, spooledRecords: () => 0 });

afterEach(() => {
  vi.useRealTimers();
});

describe('jitter', () => {
  it('spreads a wait uniformly around the interval (same mean)', () => {
    expect(aroundInterval(10_000, () => 0)).toBe(5000);
    expect(aroundInterval(10_000, () => 0.5)).toBe(10_000);
    expect(aroundInterval(10_000, () => 0.999_9)).toBe(14_999);
  });

  it('backs off with full jitter from a floor to the doubling step, capped', () => {
    const low = new Backoff(1000, 30_000, () => 0);
    expect([low.next(), low.next(), low.next()]).toEqual([100, 100, 100]);
    const half = new Backoff(1000, 30_000, () => 0.5);
    expect([half.next(), half.next(), half.next()]).toEqual([500, 1000, 2000]);
    const high = new Backoff(1000, 30_000, () => 1);
    const delays = Array.from({ length: 8 }, () => high.next());
    expect(delays.at(-1)).toBe(30_000);
    high.reset();
    expect(high.next()).toBe(1000);
  });

  it('schedules the next heartbeat at the jittered interval', async () => {
    vi.useFakeTimers();
    const heartbeat = vi.fn(async () => ({}));
    const client = { heartbeat } as unknown as ControlPlaneClient;
    const reporter = new HeartbeatReporter(
      client,
      60_000,
      () => ({}) as never,
      silentLogger(),
      metrics(),
      () => 0.1,
    );
    await reporter.sendNow();
    expect(heartbeat).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(35_999);
    expect(heartbeat).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(heartbeat).toHaveBeenCalledTimes(2);
    await reporter.stop();
  });

  describe('config sync', () => {
    let dir: string | undefined;
    afterEach(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('retries an unreachable control plane after the jittered backoff', async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'gh-jitter-'));
      vi.useFakeTimers();
      let calls = 0;
      let onCall: () => void = () => undefined;
      const client = {
        signingKey: async () => {
          calls++;
          onCall();
          throw new ControlPlaneError('unreachable', 'down');
        },
      } as unknown as ControlPlaneClient;
      const sync = new ConfigSync({
        client,
        apply: () => ({ ok: true, version: 'v' }) as never,
        backup: undefined,
        stateDir: dir,
        publicKeyPem: undefined,
        logger: silentLogger(),
        metrics: metrics(),
        errors: new RecentErrors(),
        onConfigEvent: () => undefined,
        random: () => 0.25,
      });
      await sync.syncNow();
      expect(calls).toBe(1);
      expect(sync.state).toBe('unreachable');
      // First retry: 25 % of the 1 s step.
      await vi.advanceTimersByTimeAsync(249);
      expect(calls).toBe(1);
      const second = new Promise<void>((resolve) => {
        onCall = resolve;
      });
      await vi.advanceTimersByTimeAsync(1);
      await second;
      expect(calls).toBe(2);
      await sync.stop();
    });
  });
});
