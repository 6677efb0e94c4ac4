/**
 * concurrency-limit: caps requests in flight per key (subscription, client IP, or CEL; `"all"` for one pool); when
 * full, answers 429 at once or queues FIFO up to queueTimeout. Slots are per gateway node (the workers
 * of one node share them through env.nodeLimits) and are released when the exchange finishes (success, error or client abort).
 */
import { GatewayError, parseDuration } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import { createKeyResolver } from '../sdk/traffic-key.js';
import { concurrencyLimitContract } from './contract.js';
import type { ConcurrencyLimitConfig } from './schema.js';
import { SlotPool } from './slots.js';

export const concurrencyLimitPolicy = definePolicy<ConcurrencyLimitConfig>({
  ...concurrencyLimitContract,
  create(config, env) {
    const keyOf = createKeyResolver(config.key, env);
    const queueTimeoutMs = parseDuration(config.queueTimeout);
    const limits = { limit: config.limit, queueSize: config.queueSize, queueTimeoutMs };
    // Several workers: the node's primary holds the slots, so the limit holds for the node as a whole.
    const namespace = `cc:${env.scope.key}:`;
    const node = env.nodeLimits;
    const slots = node
      ? {
          acquire: (key: string, signal?: AbortSignal) => node.acquireSlot(namespace + key, limits, signal),
          release: (key: string) => node.releaseSlot(namespace + key, limits),
        }
      : new SlotPool(config.limit, config.queueSize, queueTimeoutMs);
    return {
      async request(ctx) {
        const key = keyOf(ctx);
        const outcome = await slots.acquire(key, ctx.signal);
        if (outcome === 'acquired') {
          let released = false;
          ctx.onFinish(() => {
            if (released) return;
            released = true;
            slots.release(key);
          });
          return;
        }
        const detail =
          outcome === 'timeout'
            ? `No request slot freed up within ${config.queueTimeout} (limit ${config.limit} in flight).`
            : `Too many requests in flight (limit ${config.limit}).`;
        throw new GatewayError('concurrency_limited', { detail, headers: { 'retry-after': '1' } });
      },
    };
  },
});
