/**
 * Per-request scope requirements for a plan: security is chosen per plan, yet scopes usually depend
 * on the operation, so rules map `METHODS path-prefix` to scopes, evaluated on each request.
 */
interface ScopeRule {
  methods: ReadonlySet<string> | undefined;
  prefix: string;
  /** Base scopes merged with the rule's own, computed once. */
  scopes: readonly string[];
}

export interface ScopeRequirements {
  /** Scopes the request needs: the base scopes plus those of the most specific matching rule. */
  required(method: string, path: string): readonly string[];
}

export function compileScopeRules(
  base: readonly string[],
  rules: Readonly<Record<string, readonly string[]>>,
): ScopeRequirements {
  const compiled: ScopeRule[] = Object.entries(rules).map(([key, scopes]) => {
    const parts = key.trim().split(/ +/);
    const prefix = parts.length === 2 ? parts[1]! : parts[0]!;
    const methodList = parts.length === 2 && parts[0] !== '*' ? parts[0]!.toUpperCase().split(',') : undefined;
    const normalized = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
    return {
      methods: methodList && new Set(methodList),
      prefix: normalized,
      scopes: [...new Set([...base, ...scopes])],
    };
  });
  // Most specific first: longer prefix, then a rule naming methods before a wildcard one.
  compiled.sort(
    (a, b) => b.prefix.length - a.prefix.length || Number(b.methods !== undefined) - Number(a.methods !== undefined),
  );

  return {
    required(method, path) {
      const rule = compiled.find((r) => (!r.methods || r.methods.has(method)) && matchesPrefix(path, r.prefix));
      return rule ? rule.scopes : base;
    },
  };
}

/** Segment-wise prefix: `/orders` matches `/orders` and `/orders/7`, not `/orders-archive`. */
function matchesPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || (path.startsWith(prefix) && path[prefix.length] === '/');
}

/** Granted scopes from an introspection member: RFC 7662 uses a space-separated string; some servers send arrays. */
export function grantedScopes(value: unknown): ReadonlySet<string> {
  if (typeof value === 'string') return new Set(value.split(' ').filter((s) => s !== ''));
  if (Array.isArray(value)) return new Set(value.filter((s): s is string => typeof s === 'string'));
  return new Set();
}
