import { parseDuration } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import { type TimeoutConfig, TimeoutConfigSchema } from './schema.js';

export const timeoutPolicy = definePolicy<TimeoutConfig>({
  name: 'timeout',
  version: '1.0.0',
  category: 'mediation',
  summary: 'Sets the upstream response timeout for matching requests (e.g. a slow report route).',
  configSchema: TimeoutConfigSchema,
  example: { policy: 'timeout', config: { response: '2m' } },
  phases: ['request'],
  create(config) {
    const responseTimeoutMs = parseDuration(config.response);
    if (responseTimeoutMs <= 0) throw new Error('response: must be longer than 0ms');
    return {
      request(ctx) {
        ctx.upstream.responseTimeoutMs = responseTimeoutMs;
      },
    };
  },
});
