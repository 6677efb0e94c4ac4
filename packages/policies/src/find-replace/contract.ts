import { attempt } from '../sdk/check.js';
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
  // Compiles patterns as create() does; when create() moves to RE2, this must use the same compile.
  check(config) {
    const issues: ConfigIssue[] = [];
    config.replacements.forEach((rule, i) => {
      if (rule.regex) attempt(issues, `replacements[${i}].find`, () => new RegExp(rule.find, rule.flags));
      else attempt(issues, `replacements[${i}].flags`, () => new RegExp('', rule.flags));
    });
    return issues.map((issue) => ({ ...issue, message: `not a valid regular expression: ${issue.message}` }));
  },
});
