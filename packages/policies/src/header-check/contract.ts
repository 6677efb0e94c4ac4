import { checkRegex } from '../sdk/check.js';
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
  // Compiles patterns as create() does (RE2), so a pattern accepted here loads on every gateway.
  check(config) {
    const issues: ConfigIssue[] = [];
    for (const field of ['required', 'forbidden'] as const)
      (config[field] ?? []).forEach((entry, i) => {
        if (entry.pattern !== undefined)
          checkRegex(issues, `${field}[${i}].pattern`, entry.pattern, { ignoreCase: entry.ignoreCase });
      });
    return issues;
  },
});
