/**
 * `header-check`: required and forbidden request headers; 400 `validation_failed` listing every
 * offending header in `errors` (`path: headers.<name>`).
 *
 * Phase: `preSecurity` at global, API and route scope, so malformed requests are turned away before
 * credentials are checked (cheaper, and no auth work for junk); at plan scope the plan is only known
 * after security, so there it runs in `request`. Repeated headers are checked on the value Node
 * presents (joined with `, `), each element for `set-cookie`-style arrays.
 */
import { GatewayError, type InvalidParam } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import { compileSafeRegex } from '../sdk/safe-regex.js';
import type { Handler, RequestContext } from '../sdk/types.js';
import { headerCheckContract } from './contract.js';
import type { HeaderCheckConfig } from './schema.js';

interface ValueTest {
  name: string;
  /** Undefined: any value (presence is what counts). */
  matches: ((value: string) => boolean) | undefined;
  describe: string;
}

type Constraint = HeaderCheckConfig['required'] extends (infer T)[] | undefined ? T : never;

function compile(list: readonly Constraint[], field: 'required' | 'forbidden'): ValueTest[] {
  return list.map((entry, index) => {
    const tests: Array<(value: string) => boolean> = [];
    const parts: string[] = [];
    if (entry.pattern !== undefined) {
      // RE2: this runs before authentication, on any client's header.
      const re = compileSafeRegex(entry.pattern, `${field}[${index}].pattern`, { ignoreCase: entry.ignoreCase });
      tests.push((value) => re.test(value));
      parts.push(`match ${entry.pattern}`);
    }
    if (entry.values !== undefined) {
      const allowed = new Set(entry.ignoreCase ? entry.values.map((v) => v.toLowerCase()) : entry.values);
      tests.push((value) => allowed.has(entry.ignoreCase ? value.toLowerCase() : value));
      parts.push(`be one of ${entry.values.map((v) => JSON.stringify(v)).join(', ')}`);
    }
    // With both, a value must satisfy both.
    const matches = tests.length === 0 ? undefined : (value: string) => tests.every((t) => t(value));
    return { name: entry.name.toLowerCase(), matches, describe: parts.join(' and ') };
  });
}

function valuesOf(ctx: RequestContext, name: string): string[] | undefined {
  const raw = ctx.request.headers[name];
  if (raw === undefined) return undefined;
  return Array.isArray(raw) ? raw : [raw];
}

export const headerCheckPolicy = definePolicy<HeaderCheckConfig>({
  ...headerCheckContract,
  create(config, env) {
    const required = compile(config.required ?? [], 'required');
    const forbidden = compile(config.forbidden ?? [], 'forbidden');

    const check: Handler = (ctx) => {
      const errors: InvalidParam[] = [];
      for (const rule of required) {
        const values = valuesOf(ctx, rule.name);
        if (values === undefined) errors.push({ path: `headers.${rule.name}`, message: 'is required' });
        else if (rule.matches && !values.every(rule.matches))
          errors.push({ path: `headers.${rule.name}`, message: `must ${rule.describe}` });
      }
      for (const rule of forbidden) {
        const values = valuesOf(ctx, rule.name);
        if (values === undefined) continue;
        if (!rule.matches) errors.push({ path: `headers.${rule.name}`, message: 'is not allowed' });
        else if (values.some(rule.matches))
          errors.push({ path: `headers.${rule.name}`, message: `must not ${rule.describe}` });
      }
      if (errors.length > 0) {
        const names = [...new Set(errors.map((e) => e.path.slice('headers.'.length)))];
        throw new GatewayError('validation_failed', {
          detail: `request headers rejected: ${names.join(', ')}`,
          errors,
        });
      }
    };
    return env.scope.kind === 'plan' ? { request: check } : { preSecurity: check };
  },
});
