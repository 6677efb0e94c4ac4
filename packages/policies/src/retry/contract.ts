import { definePolicyContract } from '../sdk/define.js';
import { type RetryConfig, RetryConfigSchema } from './schema.js';

export const retryContract = definePolicyContract<RetryConfig>({
  name: 'retry',
  version: '1.0.0',
  category: 'mediation',
  summary: 'Sets how often the gateway retries the upstream call for matching requests, and on which statuses.',
  configSchema: RetryConfigSchema,
  example: { policy: 'retry', config: { attempts: 3, onStatus: [502, 503] } },
  phases: ['request'],
});
