/** Per-request checks against a compiled operation: parameters from the request, then the body. */

import { pointerToPath } from '@gatehouse/config';
import { GatewayError, type InvalidParam } from '@gatehouse/core';
import { ajvErrorsToPointers } from '../json-schema/ajv.js';
import { nestsDeeperThan, runValidator, tooDeep } from '../json-schema/body.js';
import type { RequestContext } from '../sdk/types.js';
import { parseFormBody } from './form-body.js';
import type { CompiledOperation, Location, MediaTypeSpec, ParameterSpec } from './operations.js';

export interface RequestSources {
  pathParams: Record<string, string>;
  query: URLSearchParams;
  headers: RequestContext['request']['headers'];
}

function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const pair of (header ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return cookies;
}

function rawValues(
  spec: ParameterSpec,
  sources: RequestSources,
  cookies: () => Map<string, string>,
): string[] | undefined {
  switch (spec.in) {
    case 'path': {
      const value = sources.pathParams[spec.name];
      return value === undefined ? undefined : [value];
    }
    case 'query': {
      const values = sources.query.getAll(spec.name);
      // `expand[]=a&expand[]=b`, as PHP/Rails/Stripe clients write arrays.
      if (spec.shape === 'array') values.push(...sources.query.getAll(`${spec.name}[]`));
      return values.length === 0 ? undefined : values;
    }
    case 'header': {
      const value = sources.headers[spec.name.toLowerCase()];
      if (value === undefined) return undefined;
      return Array.isArray(value) ? [value.join(',')] : [String(value)];
    }
    case 'cookie': {
      const value = cookies().get(spec.name);
      return value === undefined ? undefined : [value];
    }
  }
}

/** Turns the strings of one parameter into what its schema describes (Ajv then coerces scalars). */
function deserialize(spec: ParameterSpec, values: string[]): unknown {
  if (spec.shape === 'array') {
    if (spec.in === 'query' && spec.style === 'form' && spec.explode) return values;
    const separator = spec.style === 'spaceDelimited' ? ' ' : spec.style === 'pipeDelimited' ? '|' : ',';
    return values[0]!.split(separator).map((v) => (spec.in === 'header' ? v.trim() : v));
  }
  return values[0];
}

/** `filter[status]=open&filter[limit]=2` -> `{ status: 'open', limit: '2' }`. */
function deepObject(name: string, query: URLSearchParams): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  const prefix = `${name}[`;
  for (const [key, value] of query) {
    if (!key.startsWith(prefix) || !key.endsWith(']')) continue;
    out ??= {};
    out[key.slice(prefix.length, -1)] = value;
  }
  return out;
}

export function validateParameters(
  op: CompiledOperation,
  sources: RequestSources,
  enabled: Record<Location, boolean>,
): InvalidParam[] {
  const errors: InvalidParam[] = [];
  let cookies: Map<string, string> | undefined;
  const readCookies = () => {
    cookies ??= parseCookies(sources.headers.cookie);
    return cookies;
  };
  for (const group of op.groups) {
    if (!enabled[group.location]) continue;
    const data: Record<string, unknown> = {};
    for (const spec of group.specs) {
      if (spec.shape === 'object') {
        const value = deepObject(spec.name, sources.query);
        if (value !== undefined) data[spec.name] = value;
        continue;
      }
      const values = rawValues(spec, sources, readCookies);
      if (values === undefined) continue;
      if (spec.in === 'path') {
        try {
          values[0] = decodeURIComponent(values[0]!);
        } catch {
          errors.push({ path: `path.${spec.name}`, message: 'is not valid percent-encoding' });
          continue;
        }
      }
      data[spec.name] = deserialize(spec, values);
    }
    if (!group.validate(data)) {
      for (const e of ajvErrorsToPointers(group.validate.errors, 100)) {
        errors.push({ path: pointerToPath(e.path, group.location), message: e.message });
      }
    }
  }
  return errors;
}

export function unknownQueryParameters(op: CompiledOperation, query: URLSearchParams): InvalidParam[] {
  if (!op.declaredQuery) return [];
  const errors: InvalidParam[] = [];
  for (const name of new Set(query.keys())) {
    const base = name.includes('[') ? name.slice(0, name.indexOf('[')) : name; // deepObject members
    if (!op.declaredQuery.has(base))
      errors.push({
        path: pointerToPath(`/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`, 'query'),
        message: 'is not a known parameter',
      });
  }
  return errors;
}

function pickMediaType(media: MediaTypeSpec[], contentType: string): MediaTypeSpec | undefined {
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  const main = type.split('/', 1)[0];
  return (
    media.find((m) => m.range === type) ??
    media.find((m) => m.range === `${main}/*`) ??
    media.find((m) => m.range === '*/*')
  );
}

/** Validates the body when its media type has a schema; buffers it only then. */
export async function validateBody(
  body: NonNullable<CompiledOperation['body']>,
  ctx: RequestContext,
  maxDepth: number,
): Promise<InvalidParam[]> {
  if (!ctx.request.hasBody) return body.required ? [{ path: 'body', message: 'is required' }] : [];
  if (body.media.length === 0) return [];
  const contentType = String(ctx.request.headers['content-type'] ?? 'application/octet-stream');
  const media = pickMediaType(body.media, contentType);
  if (!media) {
    throw new GatewayError('unsupported_media_type', {
      detail: `content type must be one of: ${body.media.map((m) => m.range).join(', ')}`,
    });
  }
  if (!media.validate) return [];
  const raw = await ctx.request.readBody();
  let data: unknown;
  if (media.kind === 'form') {
    data = parseFormBody(raw.toString('utf8'));
  } else {
    if (nestsDeeperThan(raw, maxDepth)) return [{ path: 'body', message: tooDeep(maxDepth).message }];
    try {
      data = JSON.parse(raw.toString('utf8'));
    } catch {
      return [{ path: 'body', message: 'is not valid JSON' }];
    }
  }
  return runValidator(media.validate, data, 100).map((e) => ({
    path: pointerToPath(e.path, 'body'),
    message: e.message,
  }));
}
