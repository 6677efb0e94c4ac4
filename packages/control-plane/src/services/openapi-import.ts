/**
 * Turns an OpenAPI 3.x or Swagger 2 document into an API definition: name, version and description
 * from `info`, the upstream from `servers[0]` (or host/basePath/schemes), one route per path with
 * the methods of its operations (`{param}` becomes `:param`).
 */
import { HTTP_METHODS, SLUG_PATTERN } from '@gatehouse/config';
import { invalid } from '../http/validation.js';
import type { ApiInput } from './apis.js';

const METHODS = new Set<string>(HTTP_METHODS.map((m) => m.toLowerCase()));

export function slugify(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return slug || 'api';
}

export interface ImportOverrides {
  id?: string | undefined;
  basePath?: string | undefined;
  upstreamUrl?: string | undefined;
}

export function apiFromOpenApi(doc: Record<string, unknown>, overrides: ImportOverrides): ApiInput {
  const isV3 = typeof doc.openapi === 'string' && doc.openapi.startsWith('3.');
  const isV2 = doc.swagger === '2.0';
  if (!isV3 && !isV2)
    throw invalid(
      'body.document',
      'must be an OpenAPI 3.x (`openapi: 3.x`) or Swagger 2.0 (`swagger: "2.0"`) document',
    );
  const info = (doc.info ?? {}) as { title?: unknown; version?: unknown; description?: unknown };
  if (typeof info.title !== 'string' || info.title.trim() === '')
    throw invalid('body.document.info.title', 'is required');
  const paths = doc.paths;
  if (!paths || typeof paths !== 'object') throw invalid('body.document.paths', 'is required');

  let server: URL | undefined;
  if (isV3) {
    const url = (doc.servers as { url?: unknown }[] | undefined)?.[0]?.url;
    if (typeof url === 'string' && /^https?:\/\//.test(url)) server = new URL(url);
  } else if (typeof doc.host === 'string') {
    const scheme = ((doc.schemes as string[] | undefined) ?? ['https']).includes('https') ? 'https' : 'http';
    server = new URL(`${scheme}://${doc.host}${typeof doc.basePath === 'string' ? doc.basePath : ''}`);
  }
  const upstreamUrl = overrides.upstreamUrl ?? server?.toString().replace(/\/$/, '');
  if (!upstreamUrl) throw invalid('body.upstreamUrl', 'is required: the document names no absolute server URL');

  const routes: Record<string, unknown>[] = [];
  for (const [path, item] of Object.entries(paths as Record<string, unknown>)) {
    if (!path.startsWith('/') || !item || typeof item !== 'object') continue;
    const methods = Object.keys(item)
      .filter((k) => METHODS.has(k))
      .map((k) => k.toUpperCase());
    if (methods.length === 0) continue;
    routes.push({ path: path.replace(/\{([^}]+)\}/g, ':$1'), methods });
  }
  if (routes.length === 0) throw invalid('body.document.paths', 'has no operations');

  const id = overrides.id ?? slugify(info.title);
  if (!new RegExp(SLUG_PATTERN).test(id)) throw invalid('body.id', 'must be a slug');
  return {
    id,
    name: info.title.slice(0, 200),
    description: typeof info.description === 'string' ? info.description.slice(0, 4000) : null,
    version: typeof info.version === 'string' ? info.version : null,
    basePath: overrides.basePath ?? `/${id}`,
    upstream: { targets: [{ url: upstreamUrl }] },
    routes,
    openapi: doc,
  };
}
