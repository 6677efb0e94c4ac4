import { checkRegex } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import type { ConfigIssue } from '../sdk/types.js';
import { FindReplaceConfig } from './schema.js';

export const findReplaceContract = definePolicyContract<FindReplaceConfig>({
  name: 'find-replace',
  version: '1.0.0',
  category: 'transformation',
  summary: 'Replaces literal text or regular-expression matches in request or response bodies of chosen media types.',
  configSchema: FindReplaceConfig,
  example: {
    policy: 'find-replace',
    config: {
      phase: 'response',
      replacements: [{ find: 'http://orders.internal:8080', replace: 'https://api.example.com/orders' }],
    },
  },
  phases: ['request', 'response'],
  // Compiles patterns as create() does (RE2); flags are constrained by the schema.
  check(config) {
    const issues: ConfigIssue[] = [];
    config.replacements.forEach((rule, i) => {
      const flags = rule.flags ?? 'g';
      if (rule.regex)
        checkRegex(issues, `replacements[${i}].find`, rule.find, {
          ignoreCase: flags.includes('i'),
          multiline: flags.includes('m'),
          dotAll: flags.includes('s'),
        });
    });
    return issues;
  },
});
