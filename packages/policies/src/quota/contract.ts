import { attempt, checkTrafficKey } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import { formatCount } from '../sdk/describe.js';
import type { ConfigIssue } from '../sdk/types.js';
import { createPeriodCalculator } from './period.js';
import { QuotaConfig } from './schema.js';

export const quotaContract = definePolicyContract<QuotaConfig>({
  name: 'quota',
  version: '1.0.0',
  category: 'traffic',
  summary: 'Limits requests per calendar day, week or month in a time zone, per subscription, client IP or CEL key.',
  configSchema: QuotaConfig,
  example: { policy: 'quota', config: { limit: 10000, period: 'month', timeZone: 'Europe/Paris' } },
  phases: ['request', 'response'],
  describe: (config) => [
    `${formatCount(config.limit)} requests per ${config.period}${config.timeZone === 'UTC' ? '' : ` (${config.timeZone} time)`}`,
  ],
  check(config) {
    const issues: ConfigIssue[] = [];
    checkTrafficKey(issues, 'key', config.key);
    attempt(issues, 'timeZone', () => createPeriodCalculator(config.period, config.timeZone, config.weekStart));
    return issues;
  },
});
