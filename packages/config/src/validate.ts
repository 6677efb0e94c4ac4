import { didYouMean } from '@gatehouse/core';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from 'typebox';
import type { ConfigDocument as ConfigDocumentType } from './schema.js';
import { ConfigDocument } from './schema.js';
import { checkSemantics } from './semantics.js';

export interface ConfigProblem {
  /** Path in the document, e.g. `apis[0].upstream.targets[0].url` (empty for the root). */
  path: string;
  message: string;
}

export type ValidationResult<T> = { ok: true; value: T; problems: [] } | { ok: false; problems: ConfigProblem[] };

const HTTP_URL = /^https?:\/\/[^\s/?#]+(?:[/?#]\S*)?$/i;

/** One Ajv per process: compiled validators are cached per schema object. Verbose: errors carry the value and schema, for "did you mean" hints. */
export const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, allowUnionTypes: true, verbose: true });
ajv.addFormat('http-url', { type: 'string', validate: (value: string) => HTTP_URL.test(value) });
ajv.addFormat('date-time', {
  type: 'string',
  validate: (value: string) =>
    /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(value) && !Number.isNaN(Date.parse(value)),
});

const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: TSchema): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema as object);
    compiled.set(schema, fn);
  }
  return fn;
}

/** `/apis/0/upstream/targets/0/url` -> `apis[0].upstream.targets[0].url`, prefixed by `base`. */
export function pointerToPath(pointer: string, base = ''): string {
  let path = base;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) path += path ? `.${segment}` : segment;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}

function joinPath(base: string, key: string): string {
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}

function describe(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'format':
      return p.format === 'http-url' ? 'must be an http(s) URL' : `must be a valid ${String(p.format)}`;
    case 'pattern': {
      const pattern = String(p.pattern);
      if (pattern.includes('ms|s|m|h|d')) return 'must be a duration such as 500ms, 10s, 1m, 1h, 1d';
      if (pattern.includes('b|kb|mb|gb')) return 'must be a size such as 512, 10kb, 1mb';
      if (pattern.startsWith('^[a-z0-9]')) return 'must be a slug (lowercase letters, digits, -, _ and .)';
      if (pattern === '^/') return 'must start with /';
      return `must match ${pattern}`;
    }
    case 'required':
      return 'is required';
    case 'type':
      return `must be ${String(p.type)}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'enum': {
      const allowed = p.allowedValues as unknown[];
      const hint =
        typeof error.data === 'string'
          ? didYouMean(
              error.data,
              allowed.filter((v): v is string => typeof v === 'string'),
            )
          : '';
      return `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}${hint}`;
    }
    default:
      return error.message ?? 'is invalid';
  }
}

/** Turns Ajv errors into one readable problem per field (unions of literals become "must be one of"). */
export function formatAjvErrors(errors: ErrorObject[] | null | undefined, base = ''): ConfigProblem[] {
  if (!errors) return [];
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  const unionPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  for (const error of errors) {
    let path = pointerToPath(error.instancePath, base);
    let message: string;
    if (error.keyword === 'anyOf') {
      const options = errors
        .filter((e) => e.keyword === 'const' && e.instancePath === error.instancePath)
        .map((e) => JSON.stringify((e.params as { allowedValue: unknown }).allowedValue));
      const literals = errors
        .filter((e) => e.keyword === 'const' && e.instancePath === error.instancePath)
        .map((e) => (e.params as { allowedValue: unknown }).allowedValue)
        .filter((v): v is string => typeof v === 'string');
      const hint = typeof error.data === 'string' ? didYouMean(error.data, literals) : '';
      message = options.length > 0 ? `must be one of ${options.join(', ')}${hint}` : 'does not match any allowed shape';
    } else if (unionPaths.has(error.instancePath) && (error.keyword === 'const' || error.keyword === 'type')) {
      continue;
    } else if (error.keyword === 'additionalProperties') {
      const field = String((error.params as { additionalProperty: string }).additionalProperty);
      path = joinPath(path, field);
      const known = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
      message = `is not a known field${known ? didYouMean(field, Object.keys(known)) : ''}`;
    } else if (error.keyword === 'required') {
      path = joinPath(path, String((error.params as { missingProperty: string }).missingProperty));
      message = 'is required';
    } else {
      message = describe(error);
    }
    const line = `${path}\u0000${message}`;
    if (seen.has(line)) continue;
    seen.add(line);
    problems.push({ path, message });
  }
  return problems;
}

/** Validates `value` against a TypeBox schema, filling defaults in a copy. */
export function validateAgainst<T>(schema: TSchema, value: unknown, basePath = ''): ValidationResult<T> {
  const copy = value === undefined ? {} : structuredClone(value);
  const fn = validatorFor(schema);
  if (fn(copy)) return { ok: true, value: copy as T, problems: [] };
  return { ok: false, problems: formatAjvErrors(fn.errors, basePath) };
}

/**
 * Structure (JSON Schema) and cross-references (ids, subscriptions, keys) in one pass, so a file
 * with problems of both kinds reports them together. `value` is the copy with defaults filled, even
 * when there are problems (policy checks walk it next). Policy configs are checked by the policy catalog.
 */
export function inspectDocument(value: unknown): { value: unknown; problems: ConfigProblem[] } {
  const copy = value === undefined ? {} : cloneConfigDocument(value);
  const fn = validatorFor(ConfigDocument);
  const problems = fn(copy) ? [] : formatAjvErrors(fn.errors);
  try {
    const seen = new Set(problems.map((p) => `${p.path}\u0000${p.message}`));
    for (const problem of checkSemantics(copy as ConfigDocumentType)) {
      if (!seen.has(`${problem.path}\u0000${problem.message}`)) problems.push(problem);
    }
  } catch {
    // A shape too broken for reference checks (e.g. `apis` not a list): the schema problems say why.
  }
  return { value: copy, problems };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A copy to fill defaults into, sharing each API's inline `openapi` document (no schema default
 * reaches into it, and whoever rewrites a document rewrites its own copy): a Stripe-sized document
 * would take hundreds of milliseconds of blocked event loop to clone on every hybrid snapshot.
 */
export function cloneConfigDocument(value: unknown): unknown {
  if (!isRecord(value) || !Array.isArray(value.apis)) return structuredClone(value);
  const shared = value.apis.map((api: unknown) => (isRecord(api) && isRecord(api.openapi) ? api.openapi : undefined));
  if (shared.every((d) => d === undefined)) return structuredClone(value);
  const apis = value.apis.map((api: unknown, i) => (shared[i] ? { ...(api as object), openapi: null } : api));
  const copy = structuredClone({ ...value, apis }) as { apis: Array<Record<string, unknown>> };
  shared.forEach((document, i) => {
    if (document) copy.apis[i]!.openapi = document;
  });
  return copy;
}

/** Structure and cross-references; see inspectDocument. */
export function validateDocument(value: unknown): ValidationResult<ConfigDocumentType> {
  const inspected = inspectDocument(value);
  if (inspected.problems.length > 0) return { ok: false, problems: inspected.problems };
  return { ok: true, value: inspected.value as ConfigDocumentType, problems: [] };
}

export function formatProblems(problems: ConfigProblem[]): string {
  // A problem of the whole file (a syntax error, an unreadable file) names its own location.
  return problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('\n');
}
