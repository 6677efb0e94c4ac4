import { definePolicy } from '../sdk/define.js';
import { retryContract } from './contract.js';
import type { RetryConfig } from './schema.js';

export const retryPolicy = definePolicy<RetryConfig>({
  ...retryContract,
  create(config) {
    // Frozen once: every request shares the same list, and nobody downstream may mutate it.
    const onStatus = Object.freeze([...config.onStatus]);
    return {
      request(ctx) {
        ctx.upstream.retries = config.attempts;
        ctx.upstream.retryOnStatus = onStatus;
      },
    };
  },
});
