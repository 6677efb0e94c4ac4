import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { ConfigProblem } from './validate.js';

/** Parses YAML or JSON text (JSON is YAML); reports syntax errors with line and column, the line, and a caret. */
export function parseConfigText(
  text: string,
  source = 'config',
): { ok: true; value: unknown } | { ok: false; problems: ConfigProblem[] } {
  try {
    return { ok: true, value: parseYaml(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 100 }) };
  } catch (error) {
    if (!(error instanceof YAMLParseError) || !error.linePos) {
      const message = error instanceof YAMLParseError ? error.message.split('\n')[0]! : String(error);
      return { ok: false, problems: [{ path: '', message: `${source}: ${message}` }] };
    }
    const { line, col } = error.linePos[0];
    // The yaml library's message ends with its own excerpt; ours shows the whole line, untrimmed.
    const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return {
      ok: false,
      problems: [{ path: '', message: `${source}:${line}:${col}: ${message}\n${caretExcerpt(text, line, col)}` }],
    };
  }
}

/** The offending line (numbered, capped at 200 characters) and a caret under the column. */
export function caretExcerpt(text: string, line: number, col: number): string {
  const raw = (text.split(/\r?\n/)[line - 1] ?? '').replaceAll('\t', ' ');
  const start = Math.max(0, col - 150);
  const shown = raw.slice(start, start + 200);
  const gutter = `${line} | `;
  return `${gutter}${shown}\n${' '.repeat(gutter.length + Math.max(0, col - 1 - start))}^`;
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
