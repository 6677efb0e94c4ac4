/**
 * Route patterns inside an API: literal segments, `:name` parameters and a trailing `*`.
 * Compiled once per config version into segment arrays; matching walks segments without regexes.
 */
export interface RoutePattern<T> {
  readonly segments: readonly string[];
  readonly paramNames: readonly (string | undefined)[];
  readonly wildcard: boolean;
  readonly value: T;
  /** Literal segments count more: `/items/special` beats `/items/:id`. */
  readonly specificity: number;
}

export interface RouteMatch<T> {
  value: T;
  params: Record<string, string>;
}

const EMPTY_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export function compileRoutePattern<T>(path: string, value: T): RoutePattern<T> {
  const raw = path.split('/').filter((s) => s.length > 0);
  const wildcard = raw.at(-1) === '*';
  const segments = wildcard ? raw.slice(0, -1) : raw;
  const paramNames = segments.map((s) => (s.startsWith(':') ? s.slice(1) : undefined));
  const literalCount = paramNames.filter((p) => p === undefined).length;
  return {
    segments,
    paramNames,
    wildcard,
    value,
    specificity: literalCount * 4 + segments.length * 2 + (wildcard ? 0 : 1),
  };
}

export class RouteTable<T> {
  private readonly patterns: RoutePattern<T>[];

  constructor(patterns: RoutePattern<T>[]) {
    this.patterns = [...patterns].sort((a, b) => b.specificity - a.specificity);
  }

  /** All routes whose path matches (most specific first); the caller picks by method. */
  matchAll(path: string): RouteMatch<T>[] {
    const parts = splitPath(path);
    const out: RouteMatch<T>[] = [];
    for (const pattern of this.patterns) {
      const params = matchPattern(pattern, parts);
      if (params) out.push({ value: pattern.value, params });
    }
    return out;
  }
}

function splitPath(path: string): string[] {
  const parts = path.split('/');
  const out: string[] = [];
  for (const p of parts) if (p.length > 0) out.push(p);
  return out;
}

function matchPattern<T>(pattern: RoutePattern<T>, parts: string[]): Record<string, string> | undefined {
  const { segments, paramNames, wildcard } = pattern;
  if (wildcard ? parts.length < segments.length : parts.length !== segments.length) return undefined;
  let params: Record<string, string> | undefined;
  for (let i = 0; i < segments.length; i++) {
    const name = paramNames[i];
    if (name === undefined) {
      if (segments[i] !== parts[i]) return undefined;
    } else {
      params ??= {};
      params[name] = safeDecode(parts[i]!);
    }
  }
  if (wildcard) {
    params ??= {};
    params['*'] = parts.slice(segments.length).join('/');
  }
  return params ?? EMPTY_PARAMS;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
