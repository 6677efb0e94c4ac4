import { parseDuration } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import { timeoutContract } from './contract.js';
import type { TimeoutConfig } from './schema.js';

export const timeoutPolicy = definePolicy<TimeoutConfig>({
  ...timeoutContract,
  create(config) {
    const responseTimeoutMs = parseDuration(config.response);
    return {
      request(ctx) {
        ctx.upstream.responseTimeoutMs = responseTimeoutMs;
      },
    };
  },
});
