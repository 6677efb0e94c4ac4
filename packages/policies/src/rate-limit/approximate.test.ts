import { GatewayError } from '@gatehouse/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { validatePolicyConfig } from '../sdk/define.js';
import type { PolicyHandlers } from '../sdk/types.js';
import { MemoryCounterStore } from '../stores/memory-counters.js';
import { createTestContext } from '../testing/context.js';
import { testPolicyEnv } from '../testing/index.js';
import { rateLimitPolicy } from './index.js';
import type { RateLimitConfig } from './schema.js';

const WINDOW_MS = 60_000;
/** An instant at a window boundary, so the whole run happens in one window. */
const WINDOW_START = WINDOW_MS * 29_000_000;

afterEach(() => {
  vi.useRealTimers();
});

interface Simulation {
  gateways: number;
  /** Requests per millisecond reaching each gateway. */
  ratePerMs: number;
  syncMs: number;
  limit: number;
  mode?: 'exact' | 'approximate';
  algorithm?: 'fixed' | 'sliding';
}

/**
 * G gateways (policy instances with their own local state) share one counter store; each receives
 * `ratePerMs` requests every millisecond for the same subscription. Gateways start `syncMs / G` apart,
 * so their sync timers are out of phase (the worst case). Returns what the cluster admitted.
 */
async function simulate(sim: Simulation): Promise<{ admitted: number; sharedTotal: number }> {
  vi.useFakeTimers();
  vi.setSystemTime(WINDOW_START);
  const store = new MemoryCounterStore();
  const config = validatePolicyConfig<RateLimitConfig>(
    rateLimitPolicy,
    {
      limit: sim.limit,
      window: '1m',
      mode: sim.mode ?? 'approximate',
      syncInterval: `${sim.syncMs}ms`,
      algorithm: sim.algorithm ?? 'fixed',
    },
    'config',
  );
  const gateways: PolicyHandlers[] = [];
  for (let g = 0; g < sim.gateways; g++) {
    gateways.push(
      rateLimitPolicy.create(config, testPolicyEnv({ counters: store, scope: { kind: 'plan', key: 'p' } })),
    );
    await vi.advanceTimersByTimeAsync(Math.floor(sim.syncMs / sim.gateways));
  }
  let admitted = 0;
  // Until the cluster reaches the limit, then a few sync intervals in which stale gateways overshoot.
  const durationMs = Math.ceil(sim.limit / (sim.gateways * sim.ratePerMs)) + 3 * sim.syncMs;
  for (let t = 0; t < durationMs; t++) {
    for (const gateway of gateways) {
      for (let i = 0; i < sim.ratePerMs; i++) {
        try {
          await gateway.request?.(createTestContext({ subscriptionId: 'tenant' }));
          admitted++;
        } catch (error) {
          if (!(error instanceof GatewayError)) throw error;
        }
      }
    }
    await vi.advanceTimersByTimeAsync(1);
  }
  for (const gateway of gateways) await gateway.close?.();
  const sharedTotal = await store.add(`rl:p:${WINDOW_MS}:sub:tenant`, WINDOW_MS, 0);
  await store.close();
  return { admitted, sharedTotal };
}

/** The documented bound: overshoot <= (G - 1) x min(limit, r x S) (the store round trip is 0 here). */
const bound = (s: Simulation) => (s.gateways - 1) * Math.min(s.limit, s.ratePerMs * s.syncMs);

describe('rate-limit approximate mode', () => {
  it.each([
    { gateways: 2, ratePerMs: 1, syncMs: 100, limit: 1000 },
    { gateways: 4, ratePerMs: 1, syncMs: 100, limit: 2000 },
    { gateways: 8, ratePerMs: 2, syncMs: 50, limit: 3000 },
    { gateways: 3, ratePerMs: 1, syncMs: 200, limit: 100 },
  ])('overshoots by at most (G-1) x min(limit, r x S): %o', async (sim) => {
    const { admitted, sharedTotal } = await simulate(sim);
    const overshoot = admitted - sim.limit;
    expect(overshoot).toBeGreaterThanOrEqual(0);
    expect(overshoot).toBeLessThanOrEqual(bound(sim));
    // Every admitted request reached the shared store after the final push.
    expect(sharedTotal).toBe(admitted);
  });

  it('overshoots measurably with out-of-phase gateways (the bound is not vacuous)', async () => {
    const sim = { gateways: 4, ratePerMs: 1, syncMs: 100, limit: 2000 };
    const { admitted } = await simulate(sim);
    expect(admitted - sim.limit).toBeGreaterThan(bound(sim) / 4);
  });

  it('stays within the bound with the sliding algorithm', async () => {
    const sim = { gateways: 4, ratePerMs: 1, syncMs: 100, limit: 2000, algorithm: 'sliding' as const };
    const { admitted } = await simulate(sim);
    expect(admitted - sim.limit).toBeLessThanOrEqual(bound(sim));
  });

  it('admits exactly the limit in exact mode under the same load', async () => {
    const { admitted } = await simulate({ gateways: 4, ratePerMs: 1, syncMs: 100, limit: 2000, mode: 'exact' });
    expect(admitted).toBe(2000);
  });
});
