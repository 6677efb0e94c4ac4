// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
/**
 * set-headers: removes, sets and appends request headers (request phase) and response headers
 * (response phase). Names are validated and values compiled once at load; values that come from
 * templates are stripped of control characters so a client-controlled value cannot split a header.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { definePolicy } from '../sdk/define.js';
import { compileTemplate } from '../sdk/expression.js';
import { appendHeaderValue } from '../sdk/header-edits.js';
import type { Handler, RequestContext } from '../sdk/types.js';
import { sanitizeHeaderValue, setHeadersContract } from './contract.js';
import type { HeaderChangesConfig, SetHeadersConfig } from './schema.js';

type Template = ReturnType<typeof compileTemplate>;
type Headers = IncomingHttpHeaders | OutgoingHttpHeaders;

interface CompiledChanges {
  remove: string[];
  set: Array<[name: string, value: Template]>;
  add: Array<[name: string, value: Template]>;
}

function compileChanges(changes: HeaderChangesConfig, side: string): CompiledChanges {
  const compileValues = (op: 'set' | 'add') =>
    Object.entries(changes[op]).map(([name, value]): [string, Template] => {
      const where = `${side}.${op}`;
      try {
        const template = compileTemplate(value);
        return [name.toLowerCase(), template];
      } catch (error) {
        throw new Error(`${where}.${name}: ${(error as Error).message}`);
      }
    });
  return {
    remove: changes.remove.map((name) => name.toLowerCase()),
    set: compileValues('set'),
    add: compileValues('add'),
  };
}

/** Drops CR, LF and other control characters (tab is allowed in field values). */
export { sanitizeHeaderValue };

function render(template: Template, ctx: RequestContext): string | undefined {
  if (!template.dynamic) return template.render(ctx);
  try {
    return sanitizeHeaderValue(template.render(ctx));
  } catch (error) {
    // A placeholder that cannot be evaluated for this request (e.g. a missing claim) skips the header.
    ctx.log.debug({ policy: 'set-headers', reason: (error as Error).message }, 'header template skipped');
    return undefined;
  }
}

function apply(changes: CompiledChanges, headers: Headers, ctx: RequestContext): void {
  // Unset rather than deleted: `delete` makes the headers object a slow dictionary for every later reader.
  for (const name of changes.remove) if (headers[name] !== undefined) headers[name] = undefined;
  for (const [name, template] of changes.set) {
    const value = render(template, ctx);
    if (value !== undefined) headers[name] = value;
  }
  for (const [name, template] of changes.add) {
    const value = render(template, ctx);
    if (value !== undefined) appendHeaderValue(headers as OutgoingHttpHeaders, name, value);
  }
}

/** The same changes as header edits: on an upstream answer no headers object is built for them. */
function applyToResponse(changes: CompiledChanges, ctx: RequestContext): void {
  const response = ctx.response;
  for (const name of changes.remove) response.removeHeader(name);
  for (const [name, template] of changes.set) {
    const value = render(template, ctx);
    if (value !== undefined) response.setHeader(name, value);
  }
  for (const [name, template] of changes.add) {
    const value = render(template, ctx);
    if (value !== undefined) response.appendHeader(name, value);
  }
}

const isEmpty = (c: CompiledChanges) => c.remove.length + c.set.length + c.add.length === 0;

export const setHeadersPolicy = definePolicy<SetHeadersConfig>({
  ...setHeadersContract,
  create(config) {
    const request = compileChanges(config.request, 'request');
    const response = compileChanges(config.response, 'response');
    const requestHandler: Handler = (ctx) => apply(request, ctx.request.headers, ctx);
    const responseHandler: Handler = (ctx) => applyToResponse(response, ctx);
    return {
      request: isEmpty(request) ? undefined : requestHandler,
      response: isEmpty(response) ? undefined : responseHandler,
    };
  },
});
