// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { checkTemplate, fieldPath } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import type { ConfigIssue } from '../sdk/types.js';
import { type ReturnResponseConfig, ReturnResponseConfigSchema } from './schema.js';

export const returnResponseContract = definePolicyContract<ReturnResponseConfig>({
  name: 'return-response',
  version: '1.0.0',
  category: 'mediation',
  summary:
    'Answers at the gateway with a templated status, headers and body (CEL placeholders); the upstream is not called.',
  configSchema: ReturnResponseConfigSchema,
  example: {
    policy: 'return-response',
    config: {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"application": "${context.application}", "path": "${request.path}"}',
    },
  },
  phases: ['request'],
  check(config) {
    const issues: ConfigIssue[] = [];
    for (const [name, value] of Object.entries(config.headers))
      checkTemplate(issues, fieldPath('headers', name), value);
    checkTemplate(issues, 'body', config.body);
    return issues;
  },
});
