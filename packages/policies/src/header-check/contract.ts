import { attempt } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import type { ConfigIssue } from '../sdk/types.js';
import { type HeaderCheckConfig, HeaderCheckConfigSchema } from './schema.js';

export const headerCheckContract = definePolicyContract<HeaderCheckConfig>({
  name: 'header-check',
  version: '1.0.0',
  category: 'security',
  summary:
    'Requires and forbids request headers (optionally by value pattern or list); 400 listing each offending header.',
  configSchema: HeaderCheckConfigSchema,
  example: {
    policy: 'header-check',
    config: {
      required: [{ name: 'x-tenant-id', pattern: '^[a-z0-9-]{3,32}$' }],
      forbidden: [{ name: 'x-debug' }, { name: 'x-forwarded-host', pattern: '\\.internal$' }],
    },
  },
  phases: ['preSecurity', 'request'],
  // Compiles patterns as create() does; when create() moves to RE2, this must use the same compile.
  check(config) {
    const issues: ConfigIssue[] = [];
    for (const field of ['required', 'forbidden'] as const)
      (config[field] ?? []).forEach((entry, i) => {
        if (entry.pattern !== undefined)
          attempt(issues, `${field}[${i}].pattern`, () => new RegExp(entry.pattern!, entry.ignoreCase ? 'i' : ''));
      });
    return issues.map((issue) => ({ ...issue, message: `invalid regular expression (${issue.message})` }));
  },
});
