import { parseDuration } from '@gatehouse/core';
import { definePolicyContract } from '../sdk/define.js';
import { type TimeoutConfig, TimeoutConfigSchema } from './schema.js';

export const timeoutContract = definePolicyContract<TimeoutConfig>({
  name: 'timeout',
  version: '1.0.0',
  category: 'mediation',
  summary: 'Sets the upstream response timeout for matching requests (e.g. a slow report route).',
  configSchema: TimeoutConfigSchema,
  example: { policy: 'timeout', config: { response: '2m' } },
  phases: ['request'],
  check(config) {
    return parseDuration(config.response) <= 0 ? [{ path: 'response', message: 'must be longer than 0ms' }] : [];
  },
});
