// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { attempt } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import { compileExpression } from '../sdk/expression.js';
import type { ConfigIssue } from '../sdk/types.js';
import { SetBodyConfig } from './schema.js';
import { compileBodyTemplate } from './template.js';

export const setBodyContract = definePolicyContract<SetBodyConfig>({
  name: 'set-body',
  version: '1.0.0',
  category: 'transformation',
  summary: 'Replaces the request or response body with a template rendered with CEL values (JSON-encoded by default).',
  configSchema: SetBodyConfig,
  example: { policy: 'set-body', config: { body: '{"user": ${ claims.sub }, "tier": ${ attributes.tier }}' } },
  phases: ['request', 'response'],
  check(config) {
    const issues: ConfigIssue[] = [];
    attempt(issues, 'body', () => compileBodyTemplate(config.body, config.encoding, compileExpression));
    return issues;
  },
});
