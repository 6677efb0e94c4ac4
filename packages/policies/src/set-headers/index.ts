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
import { HEADER_NAME_PATTERN, type HeaderChangesConfig, SetHeadersConfig } from './schema.js';

const HEADER_NAME = new RegExp(HEADER_NAME_PATTERN);
/** Framing headers belong to the gateway: changing them would corrupt the exchange. */
const PROTECTED = new Set(['content-length', 'transfer-encoding', 'connection']);

type Template = ReturnType<typeof compileTemplate>;
type Headers = IncomingHttpHeaders | OutgoingHttpHeaders;

interface CompiledChanges {
  remove: string[];
  set: Array<[name: string, value: Template]>;
  add: Array<[name: string, value: Template]>;
}

function checkName(name: string, where: string): string {
  if (!HEADER_NAME.test(name)) throw new Error(`${where}: "${name}" is not a valid header name`);
  const lower = name.toLowerCase();
  if (PROTECTED.has(lower)) throw new Error(`${where}: "${name}" is managed by the gateway and cannot be changed`);
  return lower;
}

function compileChanges(changes: HeaderChangesConfig, side: string): CompiledChanges {
  const compileValues = (op: 'set' | 'add') =>
    Object.entries(changes[op]).map(([name, value]): [string, Template] => {
      const where = `${side}.${op}`;
      try {
        const template = compileTemplate(value);
        if (!template.dynamic && sanitizeHeaderValue(value) !== value)
          throw new Error('control characters are not allowed');
        return [checkName(name, where), template];
      } catch (error) {
        throw new Error(`${where}.${name}: ${(error as Error).message}`);
      }
    });
  return {
    remove: changes.remove.map((name) => checkName(name, `${side}.remove`)),
    set: compileValues('set'),
    add: compileValues('add'),
  };
}

/** Drops CR, LF and other control characters (tab is allowed in field values). */
export function sanitizeHeaderValue(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.charCodeAt(0);
    if ((code >= 0x20 && code !== 0x7f) || code === 0x09) out += char;
  }
  return out;
}

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
