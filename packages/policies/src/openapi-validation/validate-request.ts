/** Per-request checks against a compiled operation: parameters from the request, then the body. */

import { pointerToPath } from '@gatehouse/config';
import { GatewayError, type InvalidParam } from '@gatehouse/core';
import { ajvErrorsToPointers } from '../json-schema/ajv.js';
import type { RequestContext } from '../sdk/types.js';
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

function formToObject(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const previous = out[key];
    out[key] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return out;
}

/** Validates the body when its media type has a schema; buffers it only then. */
export async function validateBody(
  body: NonNullable<CompiledOperation['body']>,
  ctx: RequestContext,
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
  const text = (await ctx.request.readBody()).toString('utf8');
  let data: unknown;
  if (media.kind === 'form') {
    data = formToObject(text);
  } else {
    try {
      data = JSON.parse(text);
    } catch {
      return [{ path: 'body', message: 'is not valid JSON' }];
    }
  }
  if (media.validate(data)) return [];
  return ajvErrorsToPointers(media.validate.errors, 100).map((e) => ({
    path: pointerToPath(e.path, 'body'),
    message: e.message,
  }));
}
