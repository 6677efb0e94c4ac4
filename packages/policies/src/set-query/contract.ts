// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.

import { checkTemplate, fieldPath } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import type { ConfigIssue } from '../sdk/types.js';
import { SetQueryConfig } from './schema.js';

export const setQueryContract = definePolicyContract<SetQueryConfig>({
  name: 'set-query',
  version: '1.0.0',
  category: 'transformation',
  summary: 'Removes, sets or appends query parameters of the request forwarded upstream; values may be CEL templates.',
  configSchema: SetQueryConfig,
  example: {
    policy: 'set-query',
    config: { remove: ['api_key'], set: { tenant: '${ context.application }' }, add: { source: 'gateway' } },
  },
  phases: ['request'],
  check(config) {
    const issues: ConfigIssue[] = [];
    for (const op of ['set', 'add'] as const)
      for (const [name, value] of Object.entries(config[op])) checkTemplate(issues, fieldPath(op, name), value);
    return issues;
  },
});
