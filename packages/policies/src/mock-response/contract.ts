// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { checkTemplate, fieldPath } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import type { ConfigIssue } from '../sdk/types.js';
import { MockResponseConfig } from './schema.js';

export const mockResponseContract = definePolicyContract<MockResponseConfig>({
  name: 'mock-response',
  version: '1.0.0',
  category: 'mediation',
  summary: 'Answers with a configured status, headers and (templated) body instead of calling the upstream.',
  configSchema: MockResponseConfig,
  example: {
    policy: 'mock-response',
    config: {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"pong":true,"path":"${request.path}"}',
    },
  },
  phases: ['request'],
  check(config) {
    const issues: ConfigIssue[] = [];
    checkTemplate(issues, 'body', config.body);
    for (const [name, value] of Object.entries(config.headers))
      checkTemplate(issues, fieldPath('headers', name), value);
    return issues;
  },
});
