// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { attempt, fieldPath } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import { compileTemplate } from '../sdk/expression.js';
import type { ConfigIssue } from '../sdk/types.js';
import { HEADER_NAME_PATTERN, SetHeadersConfig } from './schema.js';

const HEADER_NAME = new RegExp(HEADER_NAME_PATTERN);
/** Framing headers belong to the gateway: changing them would corrupt the exchange. */
const PROTECTED = new Set(['content-length', 'transfer-encoding', 'connection']);

/** Drops control characters (except tab) a rendered value must not carry into a header. */
export function sanitizeHeaderValue(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.charCodeAt(0);
    if ((code >= 0x20 && code !== 0x7f) || code === 0x09) out += char;
  }
  return out;
}

function nameProblem(name: string): string | undefined {
  if (!HEADER_NAME.test(name)) return `"${name}" is not a valid header name`;
  if (PROTECTED.has(name.toLowerCase())) return `"${name}" is managed by the gateway and cannot be changed`;
  return undefined;
}

export const setHeadersContract = definePolicyContract<SetHeadersConfig>({
  name: 'set-headers',
  version: '1.0.0',
  category: 'transformation',
  summary:
    'Removes, sets and appends request and response headers; values may be templates with ${ cel } placeholders.',
  configSchema: SetHeadersConfig,
  example: {
    policy: 'set-headers',
    config: {
      request: { set: { 'x-consumer': '${context.application}' }, remove: ['x-internal-debug'] },
      response: { add: { 'cache-control': 'no-store' }, remove: ['x-powered-by', 'server'] },
    },
  },
  phases: ['request', 'response'],
  check(config) {
    const issues: ConfigIssue[] = [];
    for (const side of ['request', 'response'] as const) {
      const changes = config[side];
      changes.remove.forEach((name, i) => {
        const problem = nameProblem(name);
        if (problem) issues.push({ path: `${side}.remove[${i}]`, message: problem });
      });
      for (const op of ['set', 'add'] as const) {
        for (const [name, value] of Object.entries(changes[op])) {
          const at = fieldPath(`${side}.${op}`, name);
          const problem = nameProblem(name);
          if (problem) issues.push({ path: at, message: problem });
          attempt(issues, at, () => {
            const template = compileTemplate(value);
            if (!template.dynamic && sanitizeHeaderValue(value) !== value)
              throw new Error('control characters are not allowed');
          });
        }
      }
    }
    return issues;
  },
});
