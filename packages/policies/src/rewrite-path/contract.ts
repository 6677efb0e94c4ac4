import { attempt } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import type { ConfigIssue } from '../sdk/types.js';
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
  // Compiles the pattern as create() does; when create() moves to RE2, this must use the same compile.
  check(config) {
    const issues: ConfigIssue[] = [];
    attempt(issues, 'pattern', () => new RegExp(config.pattern, config.ignoreCase ? 'i' : ''));
    return issues;
  },
});
