import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

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
  const file = resolvePath(source);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read ${what} file "${source}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser serves both file types.
    parsed = parseYaml(text);
  } catch (error) {
    throw new Error(`${what} file "${source}" is not valid JSON or YAML: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${what} file "${source}" must contain an object`);
  }
  return parsed as Record<string, unknown>;
}

/** `application/json`, `application/problem+json`, `application/vnd.x+json; charset=utf-8`... */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}
