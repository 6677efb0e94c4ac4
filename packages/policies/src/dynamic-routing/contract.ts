// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { attempt, checkExpression } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import { compileTemplate } from '../sdk/expression.js';
import type { ConfigIssue } from '../sdk/types.js';
import { type DynamicRoutingConfig, DynamicRoutingConfigSchema } from './schema.js';
import { checkUrl, hostMatcher } from './target-url.js';

export const dynamicRoutingContract = definePolicyContract<DynamicRoutingConfig>({
  name: 'dynamic-routing',
  version: '1.0.0',
  category: 'mediation',
  summary: 'Chooses the upstream target per request: the first rule whose CEL condition holds sets the target URL.',
  configSchema: DynamicRoutingConfigSchema,
  example: {
    policy: 'dynamic-routing',
    config: {
      rules: [
        { when: 'request.headers["x-region"] == "eu"', url: 'http://orders-eu.internal:8080' },
        { when: 'context.plan == "beta"', url: 'http://orders-beta.internal:8080' },
      ],
    },
  },
  phases: ['request'],
  check(config) {
    const issues: ConfigIssue[] = [];
    const allowed = hostMatcher(config.allowedHosts);
    config.rules.forEach((rule, i) => {
      checkExpression(issues, `rules[${i}].when`, rule.when);
      attempt(issues, `rules[${i}].url`, () => {
        // A fixed URL can be checked now instead of on every request.
        if (compileTemplate(rule.url).dynamic) return;
        const checked = checkUrl(rule.url, allowed);
        if ('problem' in checked) throw new Error(checked.problem);
      });
    });
    return issues;
  },
});
