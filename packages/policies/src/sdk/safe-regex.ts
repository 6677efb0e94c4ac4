/**
 * Operator-supplied regular expressions, on a linear-time engine (RE2 semantics, pure JS `re2js`).
 *
 * JavaScript's RegExp backtracks: `(a+)+$` against 29 bytes keeps the event loop busy for tens of
 * seconds, stalling every request on the gateway. RE2 matches in time linear in the input, at the
 * price of no lookaround and no backreferences; patterns using them are refused at load, with the
 * config path of the pattern. `@bufbuild/re2` (the RE2 fork CEL uses) only answers yes/no, and
 * find-replace and rewrite-path need groups, so this one wrapper uses its upstream, `re2js`.
 */
import { RE2JS } from 're2js';

export interface SafeRegexOptions {
  ignoreCase?: boolean;
  /** `^` and `$` match at line breaks. */
  multiline?: boolean;
  /** `.` matches line breaks too. */
  dotAll?: boolean;
}

/** A match in the shape of a RegExpExecArray: `[0]` the match, `[n]` group n, `groups` named groups. */
export interface SafeMatch {
  readonly [group: number]: string | undefined;
  readonly length: number;
  readonly index: number;
  readonly groups?: Record<string, string | undefined>;
}

export interface SafeRegex {
  readonly source: string;
  /** Number of capturing groups. */
  readonly groupCount: number;
  /** Names of named groups. */
  readonly groupNames: ReadonlySet<string>;
  /** True when the pattern matches somewhere in `input`. */
  test(input: string): boolean;
  /** The first match in `input`, or null. */
  exec(input: string): SafeMatch | null;
  /** The first match in `input` at or after UTF-16 offset `from`, or null. */
  execFrom(input: string, from: number): SafeMatch | null;
  /**
   * `input` with the first (or every) match replaced; `$1`, `$<name>`, `$&` and `$$` expand as in
   * String.prototype.replace. `literal` inserts the replacement as is.
   */
  replace(input: string, replacement: string, options: { all: boolean; literal?: boolean }): string;
}

/**
 * Compiles `pattern` once, at load. Throws `<field>: ...` when RE2 cannot compile it (syntax it
 * lacks, such as `(?=` or `\1`), so the document is refused before it serves.
 */
export function compileSafeRegex(pattern: string, field: string, options: SafeRegexOptions = {}): SafeRegex {
  let flags = 0;
  if (options.ignoreCase) flags |= RE2JS.CASE_INSENSITIVE;
  if (options.multiline) flags |= RE2JS.MULTILINE;
  if (options.dotAll) flags |= RE2JS.DOTALL;
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern, flags);
  } catch (error) {
    const reason = (error as Error).message.replace(/^error parsing regexp: /, '');
    throw new Error(
      `${field}: not a valid RE2 regular expression (${reason}); lookaround and backreferences are not supported`,
    );
  }
  const names = re.namedGroups();
  return {
    source: pattern,
    groupCount: re.groupCount(),
    groupNames: new Set(Object.keys(names)),
    test: (input) => re.test(input),
    exec: (input) => re.exec(input) as SafeMatch | null,
    execFrom(input, from) {
      const matcher = re.matcher(input);
      if (from > input.length || !matcher.find(from)) return null;
      const match: (string | undefined)[] & { index?: number; groups?: Record<string, string | undefined> } = [];
      for (let group = 0; group <= matcher.groupCount(); group++) match.push(matcher.group(group) ?? undefined);
      match.index = matcher.start();
      if (Object.keys(names).length > 0)
        match.groups = Object.fromEntries(Object.keys(names).map((name) => [name, matcher.group(name) ?? undefined]));
      return match as SafeMatch;
    },
    replace(input, replacement, { all, literal }) {
      const matcher = re.matcher(input);
      const value = literal ? () => replacement : replacement;
      return all ? matcher.replaceAll(value) : matcher.replaceFirst(value);
    },
  };
}

/** The RE2 pattern matching `text` literally. */
export function quoteRegex(text: string): string {
  return RE2JS.quote(text);
}

/**
 * A glob where `*` stands for `star` (an RE2 fragment), anchored at both ends, e.g. media types
 * (`application/*+json`) or origins (`https://*.example.com`).
 */
export function compileGlob(glob: string, star: string, field: string, options: SafeRegexOptions = {}): SafeRegex {
  return compileSafeRegex(`^${glob.split('*').map(quoteRegex).join(star)}$`, field, options);
}
