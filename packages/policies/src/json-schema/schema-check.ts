/**
 * Load-time checks Ajv does not report with a location: every keyword of every (sub)schema must be
 * one the dialect knows (a misspelled `minimun` would otherwise be ignored), and every `pattern` /
 * `patternProperties` key must compile on RE2. Problems carry the JSON pointer of the schema.
 */
import type { AnyAjv } from './ajv.js';
import { compileRe2 } from './re2-engine.js';

const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
const SCHEMA_SINGLES = new Set([
  'not',
  'if',
  'then',
  'else',
  'contains',
  'additionalProperties',
  'propertyNames',
  'unevaluatedItems',
  'unevaluatedProperties',
  'additionalItems',
  'items',
  'contentSchema',
]);

/** Identifiers Ajv resolves itself rather than through a keyword rule. */
const CORE_IDENTIFIERS = new Set(['$anchor']);

export interface SchemaCheckOptions {
  /** draft-07: a `$ref` replaces its sibling keywords (later drafts apply them together). */
  refOverridesSiblings?: boolean;
  /** Keywords accepted without Ajv knowing them (OpenAPI's `x-` extensions); collected in `extensions`. */
  isExtension?: (keyword: string) => boolean;
  /** Checks a `$ref` (returns a problem, or undefined when it resolves). */
  checkRef?: (ref: string, at: string) => string | undefined;
  /** Schema objects already checked (shared across calls so a document's components are walked once). */
  seen?: WeakSet<object>;
}

export interface SchemaCheckResult {
  problems: string[];
  extensions: Set<string>;
}

function escapeSegment(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Walks `schema` (at `pointer`) and lists every unknown keyword and every pattern RE2 refuses. */
export function checkSchema(
  ajv: AnyAjv,
  schema: unknown,
  pointer: string,
  options: SchemaCheckOptions = {},
): SchemaCheckResult {
  const result: SchemaCheckResult = { problems: [], extensions: new Set() };
  const seen = options.seen ?? new WeakSet<object>();
  const stack: Array<{ node: unknown; at: string }> = [{ node: schema, at: pointer }];
  let usesDynamicRef = false;
  const misplacedAnchors: string[] = [];
  // An explicit stack: a hostile config cannot overflow ours with a deeply nested schema.
  while (stack.length > 0) {
    const { node, at } = stack.pop()!;
    if (typeof node === 'boolean') continue;
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      result.problems.push(`${at || '/'}: must be a schema (an object or a boolean)`);
      continue;
    }
    if (seen.has(node)) continue;
    seen.add(node);
    rewrite(node as Record<string, unknown>, options);
    const object = node as Record<string, unknown>;
    if (object.$dynamicRef !== undefined) usesDynamicRef = true;
    if (object.$dynamicAnchor !== undefined && at !== pointer && object.$id === undefined) misplacedAnchors.push(at);
    for (const key of Object.keys(object)) {
      const value = object[key];
      if (!ajv.RULES.keywords[key] && !CORE_IDENTIFIERS.has(key)) {
        if (options.isExtension?.(key)) result.extensions.add(key);
        else result.problems.push(`${at || '/'}: unknown keyword "${key}"`);
        continue;
      }
      if (key === 'pattern' && typeof value === 'string') tryPattern(value, `${at}/pattern`, result.problems);
      if (key === '$ref' && typeof value === 'string' && options.checkRef) {
        const problem = options.checkRef(value, `${at}/$ref`);
        if (problem) result.problems.push(problem);
      }
      // Most keywords (descriptions, bounds) hold no subschema: their pointer is never built.
      if (typeof value !== 'object' || value === null) continue;
      const here = `${at}/${escapeSegment(key)}`;
      if (SCHEMA_MAPS.has(key) && !Array.isArray(value)) {
        for (const [name, sub] of Object.entries(value)) {
          if (key === 'patternProperties') tryPattern(name, here, result.problems);
          stack.push({ node: sub, at: `${here}/${escapeSegment(name)}` });
        }
      } else if (key === 'dependencies' && !Array.isArray(value)) {
        // draft-07: each value is a schema or a list of property names.
        for (const [name, sub] of Object.entries(value)) {
          if (!Array.isArray(sub)) stack.push({ node: sub, at: `${here}/${escapeSegment(name)}` });
        }
      } else if (SCHEMA_LISTS.has(key) || (key === 'items' && Array.isArray(value))) {
        if (Array.isArray(value)) {
          for (const [i, sub] of value.entries()) stack.push({ node: sub, at: `${here}/${i}` });
        }
      } else if (SCHEMA_SINGLES.has(key)) {
        stack.push({ node: value, at: here });
      }
    }
  }
  if (usesDynamicRef) {
    // Ajv resolves a $dynamicRef to the root of the resource whatever anchor it names: with an anchor
    // elsewhere it would validate against the wrong schema (or recurse forever), so that is refused.
    for (const at of misplacedAnchors) {
      result.problems.push(`${at}: $dynamicAnchor is supported only at the root of a schema resource (beside $id)`);
    }
  }
  return result;
}

/**
 * Rewrites, in place, what Ajv refuses although the specification allows it: `enum: []` (nothing is
 * valid) and, in draft-07, keywords beside `$ref` (ignored there; `definitions` stays so refs into it resolve).
 */
function rewrite(node: Record<string, unknown>, options: SchemaCheckOptions): void {
  if (Array.isArray(node.enum) && node.enum.length === 0) {
    delete node.enum;
    node.allOf = [...(Array.isArray(node.allOf) ? node.allOf : []), false];
  }
  if (options.refOverridesSiblings && typeof node.$ref === 'string') {
    for (const key of Object.keys(node)) if (key !== '$ref' && key !== 'definitions') delete node[key];
  }
}

function tryPattern(pattern: string, at: string, problems: string[]): void {
  try {
    compileRe2(pattern);
  } catch (error) {
    problems.push(`${at}: ${(error as Error).message}`);
  }
}
