import jsonata from 'jsonata';
import { definePolicyContract } from '../sdk/define.js';
import type { ConfigIssue } from '../sdk/types.js';
import { JsonTransformConfig } from './schema.js';

export const jsonTransformContract = definePolicyContract<JsonTransformConfig>({
  name: 'json-transform',
  version: '1.0.0',
  category: 'transformation',
  summary:
    'Reshapes a JSON request or response body with a JSONata expression (bindings for request, claims and attributes).',
  configSchema: JsonTransformConfig,
  example: {
    policy: 'json-transform',
    config: {
      phase: 'response',
      expression: '{"items": orders.{"id": id, "total": $sum(lines.price)}, "user": $claims.sub}',
    },
  },
  phases: ['request', 'response'],
  check(config) {
    const issues: ConfigIssue[] = [];
    try {
      jsonata(config.expression);
    } catch (error) {
      const { message, position } = error as { message?: string; position?: number };
      issues.push({
        path: 'expression',
        message: `invalid JSONata expression at position ${position ?? 0}: ${message ?? String(error)}`,
      });
    }
    return issues;
  },
});
