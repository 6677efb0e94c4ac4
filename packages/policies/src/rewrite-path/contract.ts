import { attempt, checkRegex } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import { compileSafeRegex } from '../sdk/safe-regex.js';
import type { ConfigIssue } from '../sdk/types.js';
import { compileReplacement } from './replacement.js';
import { RewritePathConfig } from './schema.js';

export const rewritePathContract = definePolicyContract<RewritePathConfig>({
  name: 'rewrite-path',
  version: '1.0.0',
  category: 'transformation',
  summary:
    'Rewrites the upstream path with a regular expression and a `{group}` replacement, optionally adding query parameters.',
  configSchema: RewritePathConfig,
  example: {
    policy: 'rewrite-path',
    config: { pattern: '^/users/(?<id>[^/]+)$', replacement: '/v2/accounts/{id}', query: 'source=gateway' },
  },
  phases: ['request'],
  // Compiles the pattern and the templates as create() does (RE2, group references checked).
  check(config) {
    const issues: ConfigIssue[] = [];
    checkRegex(issues, 'pattern', config.pattern, { ignoreCase: config.ignoreCase });
    if (issues.length > 0) return issues;
    const regex = compileSafeRegex(config.pattern, 'pattern', { ignoreCase: config.ignoreCase });
    for (const field of ['replacement', 'query'] as const) {
      const template = config[field];
      if (template !== undefined) attempt(issues, field, () => compileReplacement(template, regex, field));
    }
    return issues.map((issue) => ({ ...issue, message: issue.message.replace(`${issue.path}: `, '') }));
  },
});
