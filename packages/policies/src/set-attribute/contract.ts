import { checkExpression, fieldPath } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import type { ConfigIssue } from '../sdk/types.js';
import { SetAttributeConfig } from './schema.js';

export const setAttributeContract = definePolicyContract<SetAttributeConfig>({
  name: 'set-attribute',
  version: '1.0.0',
  category: 'transformation',
  summary: 'Sets request attributes (literals or CEL results) that later policies, conditions and templates read.',
  configSchema: SetAttributeConfig,
  example: {
    policy: 'set-attribute',
    config: {
      values: { tier: 'gold' },
      expressions: { tenant: 'claims.tenant', isMobile: 'request.headers["user-agent"].contains("Mobile")' },
    },
  },
  phases: ['preSecurity', 'request'],
  check(config) {
    const issues: ConfigIssue[] = [];
    for (const [name, source] of Object.entries(config.expressions))
      checkExpression(issues, fieldPath('expressions', name), source);
    return issues;
  },
});
