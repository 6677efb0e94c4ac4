import { checkTrafficKey } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import type { ConfigIssue } from '../sdk/types.js';
import { SpikeArrestConfig } from './schema.js';

export const spikeArrestContract = definePolicyContract<SpikeArrestConfig>({
  name: 'spike-arrest',
  version: '1.0.0',
  category: 'traffic',
  summary: 'Smooths traffic bursts: admits one request per (period / rate) per key, plus an optional burst.',
  configSchema: SpikeArrestConfig,
  example: { policy: 'spike-arrest', config: { rate: '20/s', burst: 5, key: 'request.ip' } },
  phases: ['request'],
  check(config) {
    const issues: ConfigIssue[] = [];
    checkTrafficKey(issues, 'key', config.key);
    return issues;
  },
});
