import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export function readText(source: string, resolvePath: (path: string) => string, what: string): string {
  try {
    return readFileSync(resolvePath(source), 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read ${what} file "${source}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

export function parseText(text: string, source: string, what: string): unknown {
  // JSON files go through JSON.parse: the YAML parser takes seconds on a multi-megabyte OpenAPI document.
  if (source.toLowerCase().endsWith('.json') || /^\s*[{[]/.test(text.slice(0, 64))) {
    try {
      return JSON.parse(text);
    } catch (error) {
      if (source.toLowerCase().endsWith('.json'))
        throw new Error(`${what} file "${source}" is not valid JSON: ${(error as Error).message}`);
      // `{ a: 1 }` is YAML flow style, not JSON: fall through to the YAML parser.
    }
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw new Error(`${what} file "${source}" is not valid JSON or YAML: ${(error as Error).message}`);
  }
}

/**
 * Loads a JSON/YAML document given inline (an object) or as a path relative to the config file.
 * Runs at load time only, so a synchronous read keeps the policy factory synchronous.
 */
export function loadDocument(
  source: unknown,
  resolvePath: (path: string) => string,
  what: string,
): Record<string, unknown> {
  if (typeof source === 'object' && source !== null && !Array.isArray(source))
    return structuredClone(source as Record<string, unknown>);
  if (typeof source !== 'string' || source.trim() === '') throw new Error(`${what} must be an object or a file path`);
  const parsed = parseText(readText(source, resolvePath, what), source, what);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${what} file "${source}" must contain an object`);
  }
  return parsed as Record<string, unknown>;
}

/** A JSON Schema: like loadDocument, but `true` and `false` are schemas too (inline or in a file). */
export function loadSchema(
  source: unknown,
  resolvePath: (path: string) => string,
  what: string,
): Record<string, unknown> | boolean {
  if (typeof source === 'boolean') return source;
  if (typeof source !== 'string') return loadDocument(source, resolvePath, what);
  if (source.trim() === '') throw new Error(`${what} must be an object, a boolean or a file path`);
  const parsed = parseText(readText(source, resolvePath, what), source, what);
  if (typeof parsed === 'boolean') return parsed;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${what} file "${source}" must contain an object or a boolean`);
  }
  return parsed as Record<string, unknown>;
}

/** `application/json`, `application/problem+json`, `application/vnd.x+json; charset=utf-8`... */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}
