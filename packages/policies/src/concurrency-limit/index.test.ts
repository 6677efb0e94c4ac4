import { GatewayError } from '@gatehouse/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestContext } from '../testing/context.js';
import { createPolicy } from '../testing/index.js';
import { concurrencyLimitPolicy } from './index.js';
import { SlotPool } from './slots.js';

async function failure(promise: unknown): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

describe('concurrency-limit', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers 429 at once when full without a queue, and frees the slot when the exchange finishes', async () => {
    const policy = createPolicy(concurrencyLimitPolicy, { limit: 2 });
    const first = createTestContext();
    const second = createTestContext();
    await policy.request!(first);
    await policy.request!(second);

    const error = await failure(policy.request!(createTestContext()));
    expect(error.code).toBe('concurrency_limited');
    expect(error.status).toBe(429);
    expect(error.headers?.['retry-after']).toBe('1');

    first.finish();
    await expect(policy.request!(createTestContext())).resolves.toBeUndefined();
  });

  it('queues FIFO and hands freed slots to waiters in arrival order', async () => {
    const policy = createPolicy(concurrencyLimitPolicy, { limit: 1, queueSize: 2, queueTimeout: '10s' });
    const holder = createTestContext();
    await policy.request!(holder);

    const order: string[] = [];
    const a = createTestContext();
    const b = createTestContext();
    const waitingA = Promise.resolve(policy.request!(a)).then(() => order.push('a'));
    const waitingB = Promise.resolve(policy.request!(b)).then(() => order.push('b'));
    // The queue (2) is full: a third waiter is refused at once.
    expect((await failure(policy.request!(createTestContext()))).code).toBe('concurrency_limited');

    holder.finish();
    await waitingA;
    expect(order).toEqual(['a']);
    a.finish();
    await waitingB;
    expect(order).toEqual(['a', 'b']);
  });

  it('gives up with 429 after the queue timeout', async () => {
    vi.useFakeTimers();
    const policy = createPolicy(concurrencyLimitPolicy, { limit: 1, queueSize: 5, queueTimeout: '2s' });
    await policy.request!(createTestContext());

    let settled: GatewayError | 'admitted' | undefined;
    Promise.resolve(policy.request!(createTestContext())).then(
      () => {
        settled = 'admitted';
      },
      (error: GatewayError) => {
        settled = error;
      },
    );
    await vi.advanceTimersByTimeAsync(1_999);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toBeInstanceOf(GatewayError);
    expect((settled as GatewayError).code).toBe('concurrency_limited');
    expect((settled as GatewayError).detail).toContain('2s');
  });

  it('releases a slot only once even if finish callbacks run twice', async () => {
    const policy = createPolicy(concurrencyLimitPolicy, { limit: 2 });
    const first = createTestContext();
    const callbacks: Array<() => void> = [];
    first.onFinish = (callback) => callbacks.push(callback);
    await policy.request!(first);
    await policy.request!(createTestContext());
    expect(callbacks).toHaveLength(1);
    callbacks[0]!();
    callbacks[0]!();
    await policy.request!(createTestContext());
    expect((await failure(policy.request!(createTestContext()))).code).toBe('concurrency_limited');
  });

  it('shares one pool between callers with a constant key', async () => {
    const policy = createPolicy(concurrencyLimitPolicy, { limit: 1, key: '"all"' });
    await policy.request!(createTestContext({ subscriptionId: 'a' }));
    expect((await failure(policy.request!(createTestContext({ subscriptionId: 'b' })))).code).toBe(
      'concurrency_limited',
    );
  });

  it('keeps separate pools per key', async () => {
    const policy = createPolicy(concurrencyLimitPolicy, { limit: 1, key: 'request.ip' });
    await policy.request!(createTestContext({ clientIp: '10.0.0.1' }));
    await expect(policy.request!(createTestContext({ clientIp: '10.0.0.2' }))).resolves.toBeUndefined();
    expect((await failure(policy.request!(createTestContext({ clientIp: '10.0.0.1' })))).code).toBe(
      'concurrency_limited',
    );
  });
});

describe('SlotPool', () => {
  it('drops a waiter whose client went away and forgets idle keys', async () => {
    const pool = new SlotPool(1, 3, 60_000);
    expect(pool.acquire('k')).toBe('acquired');
    const abort = new AbortController();
    const waiting = pool.acquire('k', abort.signal);
    expect(pool.queued('k')).toBe(1);
    abort.abort();
    await expect(waiting).resolves.toBe('aborted');
    expect(pool.queued('k')).toBe(0);
    pool.release('k');
    expect(pool.inFlight('k')).toBe(0);
  });
});
