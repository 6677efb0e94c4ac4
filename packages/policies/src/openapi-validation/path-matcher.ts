/**
 * OpenAPI path templates (`/pets/{petId}`) compiled once into regexes, grouped by segment count.
 * Concrete segments win over templated ones at the same position, as the specification requires
 * (`/pets/mine` before `/pets/{petId}`). On RE2: adjacent parameters in one segment
 * (`/{a}{b}.json`) would backtrack polynomially on the client's path with RegExp.
 */
import { compileSafeRegex, quoteRegex, type SafeMatch, type SafeRegex } from '../sdk/safe-regex.js';

export interface PathMatch<T> {
  value: T;
  /** Raw (still percent-encoded) parameter values by name. */
  params: Record<string, string>;
}

interface Entry<T> {
  regex: SafeRegex;
  names: string[];
  rank: string;
  value: T;
}

export class PathMatcher<T> {
  private readonly bySegments = new Map<number, Entry<T>[]>();

  add(template: string, value: T): void {
    const segments = template.split('/');
    const names: string[] = [];
    let rank = '';
    const source = segments
      .map((segment) => {
        let templated = false;
        const pattern = segment
          .split(/(\{[^}]+\})/)
          .map((part) => {
            const name = /^\{([^}]+)\}$/.exec(part)?.[1];
            if (name === undefined) return quoteRegex(part);
            templated = true;
            names.push(name);
            return '([^/]+)';
          })
          .join('');
        rank += templated ? '1' : '0';
        return pattern;
      })
      .join('/');
    const list = this.bySegments.get(segments.length) ?? [];
    // Inserted after every entry of lower or equal rank (as a stable sort would put it): sorting the
    // whole list on every add made a document of thousands of paths quadratic-log to index.
    let at = list.length;
    while (at > 0 && list[at - 1]!.rank > rank) at--;
    list.splice(at, 0, { regex: compileSafeRegex(`^${source}$`, `paths.${template}`), names, rank, value });
    this.bySegments.set(segments.length, list);
  }

  match(path: string): PathMatch<T> | undefined {
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const candidates = this.bySegments.get(trimmed.split('/').length);
    if (!candidates) return undefined;
    for (const entry of candidates) {
      const m: SafeMatch | null = entry.regex.exec(trimmed);
      if (!m) continue;
      const params: Record<string, string> = {};
      entry.names.forEach((name, i) => {
        params[name] = m[i + 1]!;
      });
      return { value: entry.value, params };
    }
    return undefined;
  }
}
