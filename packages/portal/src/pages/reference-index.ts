/**
 * A light index of an OpenAPI document for the Reference page: its tags and operations, read once
 * from the JSON the portal already has. Large documents are listed from this index and Swagger UI
 * renders one tag at a time (`tagDocument`), so the page does not wait for Swagger UI to parse and
 * lay out hundreds of operations (docs/decisions/0009-portal-openapi-renderer.md).
 */
import type { OpenApiDocument } from '../api';
import { METHODS } from './try-request';

export interface IndexedOperation {
  method: string;
  path: string;
  summary: string;
  /** Lowercase "method path operationId summary", built once for the filter. */
  haystack: string;
}

export interface IndexedTag {
  name: string;
  description: string;
  operations: IndexedOperation[];
}

interface RawOperation {
  tags?: unknown;
  operationId?: unknown;
  summary?: unknown;
}

/** Swagger UI's name for operations without a tag. */
export const UNTAGGED = 'default';

const isMethod = (key: string) => (METHODS as readonly string[]).includes(key);

function tagsOf(op: RawOperation): string[] {
  const tags = Array.isArray(op.tags) ? op.tags.filter((t): t is string => typeof t === 'string' && t !== '') : [];
  return tags.length ? [...new Set(tags)] : [UNTAGGED];
}

export function operationCount(doc: OpenApiDocument): number {
  let n = 0;
  for (const item of Object.values(doc.paths ?? {})) n += Object.keys(item ?? {}).filter(isMethod).length;
  return n;
}

/** Tags in the document's `tags` order, then in order of first use (as Swagger UI lists them). */
export function indexDocument(doc: OpenApiDocument): IndexedTag[] {
  const byName = new Map<string, IndexedTag>();
  const declared = Array.isArray(doc.tags) ? (doc.tags as { name?: unknown; description?: unknown }[]) : [];
  for (const t of declared) {
    if (typeof t?.name !== 'string' || byName.has(t.name)) continue;
    byName.set(t.name, {
      name: t.name,
      description: typeof t.description === 'string' ? t.description : '',
      operations: [],
    });
  }
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, value] of Object.entries(item ?? {})) {
      if (!isMethod(method) || !value || typeof value !== 'object') continue;
      const op = value as RawOperation;
      const words = [method, path, op.operationId, op.summary].filter((w) => typeof w === 'string');
      const summary = typeof op.summary === 'string' ? op.summary : '';
      const entry = { method: method.toUpperCase(), path, summary, haystack: words.join(' ').toLowerCase() };
      for (const name of tagsOf(op)) {
        let tag = byName.get(name);
        if (!tag) {
          tag = { name, description: '', operations: [] };
          byName.set(name, tag);
        }
        tag.operations.push(entry);
      }
    }
  }
  return [...byName.values()].filter((t) => t.operations.length > 0);
}

/** The operations of a tag matching a filter (lowercase substring of method, path, id or summary). */
export function matching(tag: IndexedTag, filter: string): IndexedOperation[] {
  const needle = filter.trim().toLowerCase();
  if (!needle || tag.name.toLowerCase().includes(needle)) return tag.operations;
  return tag.operations.filter((op) => op.haystack.includes(needle));
}

/**
 * The document cut down to one tag's operations (optionally only some of them): same info,
 * components and path-level fields, so Swagger UI resolves `$ref`s exactly as in the whole document.
 */
export function tagDocument(doc: OpenApiDocument, tag: string, only?: readonly IndexedOperation[]): OpenApiDocument {
  const wanted = only ? new Set(only.map((op) => `${op.method} ${op.path}`)) : null;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    let kept: Record<string, unknown> | null = null;
    for (const [key, value] of Object.entries(item ?? {})) {
      if (!isMethod(key) || !value || typeof value !== 'object') continue;
      if (!tagsOf(value as RawOperation).includes(tag)) continue;
      if (wanted && !wanted.has(`${key.toUpperCase()} ${path}`)) continue;
      kept ??= Object.fromEntries(Object.entries(item ?? {}).filter(([k]) => !isMethod(k)));
      kept[key] = value;
    }
    if (kept) paths[path] = kept;
  }
  const tags = Array.isArray(doc.tags) ? (doc.tags as { name?: unknown }[]).filter((t) => t?.name === tag) : undefined;
  return { ...doc, paths, ...(tags ? { tags } : {}) };
}
