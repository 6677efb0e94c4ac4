/** Pure helpers for Try it: the operations of an OpenAPI document and the request built from a form. */
import type { OpenApiDocument, OpenApiOperation, OpenApiParameter } from '../api';

export const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const;

export interface Operation {
  id: string;
  method: string;
  path: string;
  summary: string;
  parameters: OpenApiParameter[];
  hasBody: boolean;
  bodyExample: string;
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const shared = ((item as { parameters?: OpenApiParameter[] }).parameters ?? []).filter((p) => p && 'name' in p);
    for (const method of METHODS) {
      const op = (item as Record<string, OpenApiOperation | undefined>)[method];
      if (!op) continue;
      const own = (op.parameters ?? []).filter((p) => p && 'name' in p);
      const parameters = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
      const json = op.requestBody?.content?.['application/json'];
      out.push({
        id: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        summary: op.summary ?? op.operationId ?? '',
        parameters: parameters.filter((p) => p.in !== 'cookie'),
        hasBody: Boolean(op.requestBody),
        bodyExample: json?.example === undefined ? '' : JSON.stringify(json.example, null, 2),
      });
    }
  }
  return out;
}

export interface TryRequest {
  url: string;
  init: { method: string; headers: Record<string, string>; body?: string };
}

/** The URL and fetch options for an operation, or an error message for a missing required value. */
export function buildRequest(
  base: string,
  op: Operation,
  values: Record<string, string>,
  auth: { header: string; key: string },
  body: string,
): TryRequest | string {
  let path = op.path;
  const query = new URLSearchParams();
  const headers: Record<string, string> = {};
  for (const p of op.parameters) {
    const value = values[`${p.in}:${p.name}`] ?? '';
    if (value === '') {
      if (p.required) return `${p.name} (${p.in}) is required`;
      continue;
    }
    if (p.in === 'path') path = path.replaceAll(`{${p.name}}`, encodeURIComponent(value));
    else if (p.in === 'query') query.set(p.name, value);
    else if (p.in === 'header') headers[p.name] = value;
  }
  if (auth.key) headers[auth.header] = auth.key;
  const init: TryRequest['init'] = { method: op.method, headers };
  if (op.hasBody && body.trim() && op.method !== 'GET' && op.method !== 'HEAD') {
    headers['content-type'] = 'application/json';
    init.body = body;
  }
  const qs = query.toString();
  return { url: `${base.replace(/\/+$/, '')}${path}${qs ? `?${qs}` : ''}`, init };
}
