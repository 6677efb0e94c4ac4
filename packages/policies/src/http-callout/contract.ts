// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { checkUrl, hostMatcher } from '../dynamic-routing/target-url.js';
import { attempt, checkTemplate, fieldPath } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import { compileTemplate } from '../sdk/expression.js';
import type { ConfigIssue } from '../sdk/types.js';
import { type HttpCalloutConfig, HttpCalloutConfigSchema } from './schema.js';

export const httpCalloutContract = definePolicyContract<HttpCalloutConfig>({
  name: 'http-callout',
  version: '1.0.0',
  category: 'mediation',
  summary:
    'Calls another service during the request and stores its answer (status, headers, parsed body) in an attribute for later policies; can fail the request when the call fails.',
  configSchema: HttpCalloutConfigSchema,
  example: {
    policy: 'http-callout',
    config: {
      url: 'http://users.internal/v1/users/${claims.sub}',
      headers: { accept: 'application/json' },
      attribute: 'user',
      timeout: '2s',
      failOnError: true,
    },
  },
  phases: ['request'],
  check(config) {
    const issues: ConfigIssue[] = [];
    attempt(issues, 'url', () => {
      if (compileTemplate(config.url).dynamic) return;
      const checked = checkUrl(config.url, hostMatcher(config.allowedHosts));
      if ('problem' in checked) throw new Error(checked.problem);
    });
    for (const [name, value] of Object.entries(config.headers))
      checkTemplate(issues, fieldPath('headers', name), value);
    if (config.body !== '') checkTemplate(issues, 'body', config.body);
    return issues;
  },
});
