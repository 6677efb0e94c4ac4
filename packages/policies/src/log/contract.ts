// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { checkExpression, checkTemplate, fieldPath } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import type { ConfigIssue } from '../sdk/types.js';
import { type LogConfig, LogConfigSchema } from './schema.js';

/** Fields of every log line, which a custom field may not replace. */
export const RESERVED_LOG_FIELDS: ReadonlySet<string> = new Set([
  'level',
  'time',
  'msg',
  'pid',
  'hostname',
  'service',
  'err',
]);

export const logContract = definePolicyContract<LogConfig>({
  name: 'log',
  version: '1.0.0',
  category: 'observability',
  summary:
    'Writes a custom JSON log line per request with CEL-rendered fields, after the response was sent; credentials are masked.',
  configSchema: LogConfigSchema,
  example: {
    policy: 'log',
    config: {
      message: '${request.method} ${request.path} -> ${response.status}',
      fields: {
        app: 'context.application',
        status: 'response.status',
        tenant: 'request.headers["x-tenant"]',
        ms: 'durationMs',
      },
    },
  },
  phases: ['log'],
  check(config) {
    const issues: ConfigIssue[] = [];
    for (const [name, source] of Object.entries(config.fields)) {
      const at = fieldPath('fields', name);
      if (RESERVED_LOG_FIELDS.has(name)) issues.push({ path: at, message: `"${name}" is reserved by the log format` });
      else checkExpression(issues, at, source);
    }
    checkTemplate(issues, 'message', config.message);
    return issues;
  },
});
