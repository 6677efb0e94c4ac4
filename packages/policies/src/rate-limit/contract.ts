import { parseDuration } from '@gatehouse/core';
import { checkTrafficKey } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import { perDuration, requests } from '../sdk/describe.js';
import type { ConfigIssue } from '../sdk/types.js';
import { RateLimitConfig } from './schema.js';

export const rateLimitContract = definePolicyContract<RateLimitConfig>({
  name: 'rate-limit',
  version: '1.0.0',
  category: 'traffic',
  summary:
    'Limits requests per subscription, client IP or CEL key in a fixed or sliding window, shared across gateways; answers 429 with Retry-After and sends RateLimit-* headers. In approximate mode a window admits at most limit + (G - 1) x min(limit, r x syncInterval) with G gateways at r requests/s each.',
  configSchema: RateLimitConfig,
  example: { policy: 'rate-limit', config: { limit: 100, window: '1m', algorithm: 'sliding' } },
  phases: ['request', 'response'],
  describe: (config) => [`${requests(config.limit)} ${perDuration(parseDuration(config.window))}`],
  check(config) {
    const issues: ConfigIssue[] = [];
    if (parseDuration(config.window) < 1) issues.push({ path: 'window', message: 'must be at least 1ms' });
    checkTrafficKey(issues, 'key', config.key);
    return issues;
  },
});
