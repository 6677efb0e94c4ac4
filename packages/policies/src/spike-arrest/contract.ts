import { checkTrafficKey } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import { formatCount } from '../sdk/describe.js';
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
  describe(config) {
    const [count, unit] = config.rate.split('/') as [string, 's' | 'm' | 'h'];
    const per = { s: 'second', m: 'minute', h: 'hour' }[unit];
    const burst = config.burst > 1 ? `, bursts of ${formatCount(config.burst)}` : '';
    return [`${formatCount(Number(count))} requests per ${per}, evenly spaced${burst}`];
  },
  check(config) {
    const issues: ConfigIssue[] = [];
    checkTrafficKey(issues, 'key', config.key);
    return issues;
  },
});
