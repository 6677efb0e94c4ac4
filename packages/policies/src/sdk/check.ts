/**
 * Building blocks of policies' pure `check(config)`: compile what create() will compile (CEL,
 * templates, patterns) and turn a failure into an issue at the field's path inside the config.
 */
import { compileExpression, compileTemplate } from './expression.js';
import { compileSafeRegex, type SafeRegexOptions } from './safe-regex.js';
import type { ConfigIssue } from './types.js';

/** `base.name`, or `base["odd name"]` when the name is not a plain identifier (paths match the document's). */
export function fieldPath(base: string, name: string): string {
  if (/^[A-Za-z_$][\w$-]*$/.test(name)) return base ? `${base}.${name}` : name;
  return `${base}[${JSON.stringify(name)}]`;
}

/** Runs `compile`; if it throws, records its message at `path`. */
export function attempt(issues: ConfigIssue[], path: string, compile: () => unknown): void {
  try {
    compile();
  } catch (error) {
    issues.push({ path, message: (error as Error).message });
  }
}

/** A regular expression exactly as create() compiles it (RE2): what passes here loads on every gateway. */
export function checkRegex(issues: ConfigIssue[], path: string, pattern: string, options: SafeRegexOptions = {}): void {
  try {
    compileSafeRegex(pattern, path, options);
  } catch (error) {
    issues.push({ path, message: (error as Error).message.replace(`${path}: `, '') });
  }
}

export function checkExpression(issues: ConfigIssue[], path: string, source: string): void {
  attempt(issues, path, () => compileExpression(source));
}

export function checkTemplate(issues: ConfigIssue[], path: string, text: string): void {
  attempt(issues, path, () => compileTemplate(text));
}

/** A traffic key (rate-limit, quota, ...): empty means the default identity, else a CEL expression. */
export function checkTrafficKey(issues: ConfigIssue[], path: string, key: string | undefined): void {
  if (key !== undefined && key.trim() !== '') checkExpression(issues, path, key);
}
