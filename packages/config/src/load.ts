import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { ConfigProblem } from './validate.js';

/** Parses YAML or JSON text (JSON is YAML); reports syntax errors with line and column. */
export function parseConfigText(
  text: string,
  source = 'config',
): { ok: true; value: unknown } | { ok: false; problems: ConfigProblem[] } {
  try {
    return { ok: true, value: parseYaml(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 100 }) };
  } catch (error) {
    const message = error instanceof YAMLParseError ? error.message.split('\n')[0]! : String(error);
    const pos =
      error instanceof YAMLParseError && error.linePos ? `:${error.linePos[0].line}:${error.linePos[0].col}` : '';
    return { ok: false, problems: [{ path: '', message: `${source}${pos}: ${message}` }] };
  }
}

export async function readConfigFile(
  file: string,
): Promise<{ ok: true; value: unknown; text: string } | { ok: false; problems: ConfigProblem[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return {
      ok: false,
      problems: [
        { path: '', message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` },
      ],
    };
  }
  const parsed = parseConfigText(text, file);
  return parsed.ok ? { ...parsed, text } : parsed;
}
