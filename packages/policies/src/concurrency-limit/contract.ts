import { checkTrafficKey } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import { formatCount } from '../sdk/describe.js';
import type { ConfigIssue } from '../sdk/types.js';
import { ConcurrencyLimitConfig } from './schema.js';

export const concurrencyLimitContract = definePolicyContract<ConcurrencyLimitConfig>({
  name: 'concurrency-limit',
  version: '1.0.0',
  category: 'traffic',
  summary: 'Caps in-flight requests per key on each gateway; excess requests wait in a FIFO queue or get 429.',
  configSchema: ConcurrencyLimitConfig,
  example: { policy: 'concurrency-limit', config: { limit: 50, key: '"all"', queueSize: 100, queueTimeout: '2s' } },
  phases: ['request'],
  describe: (config) => [`${formatCount(config.limit)} concurrent ${config.limit === 1 ? 'request' : 'requests'}`],
  check(config) {
    const issues: ConfigIssue[] = [];
    checkTrafficKey(issues, 'key', config.key);
    return issues;
  },
});
