/**
 * The OpenAPI document as the validators see it: loaded once, checked to be 3.x, 3.0 schema quirks
 * rewritten into what Ajv understands, and local `$ref`s resolvable by JSON pointer.
 */
import type { SchemaDialect } from '../json-schema/ajv.js';

export type Json = Record<string, unknown>;

export interface OpenApiDocument {
  root: Json;
  dialect: SchemaDialect;
  /** Follows `$ref` chains (local only) and returns the target with its JSON pointer. */
  resolve(node: unknown, pointer: string): { node: Json; pointer: string };
}

export function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function getByPointer(root: Json, pointer: string): unknown {
  let node: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Json)[segment];
  }
  return node;
}

/**
 * OpenAPI 3.0 schemas are a JSON Schema dialect of their own: `nullable` without `type` and boolean
 * `exclusiveMinimum`/`exclusiveMaximum` (draft-04 style). Rewritten in place into draft-07.
 */
function normalize30(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalize30);
  if (typeof node !== 'object' || node === null) return node;
  const obj = node as Json;
  for (const key of Object.keys(obj)) obj[key] = normalize30(obj[key]);
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof obj[flag] !== 'boolean') continue;
    if (obj[flag] === true && typeof obj[bound] === 'number') {
      obj[flag] = obj[bound];
      delete obj[bound];
    } else {
      delete obj[flag];
    }
  }
  if (obj.nullable === true && obj.type === undefined) {
    const { nullable: _nullable, ...rest } = obj;
    return { anyOf: [rest, { type: 'null' }] };
  }
  return obj;
}

/** Checks the version and rewrites 3.0 schema quirks in place: the part of preparation that walks the whole document. */
export function normalizeDocument(root: Json): { root: Json; dialect: SchemaDialect } {
  const version = typeof root.openapi === 'string' ? root.openapi : '';
  if (!/^3\.[01]\./.test(version)) {
    throw new Error(
      `only OpenAPI 3.0 and 3.1 documents are supported (found openapi: ${JSON.stringify(root.openapi ?? null)})`,
    );
  }
  if (typeof root.paths !== 'object' || root.paths === null) throw new Error('the OpenAPI document has no `paths`');
  const is31 = version.startsWith('3.1');
  return { root: is31 ? root : (normalize30(root) as Json), dialect: is31 ? '2020-12' : 'draft-07' };
}

export function prepareDocument(root: Json): OpenApiDocument {
  const normalized = normalizeDocument(root);
  return openApiDocument(normalized.root, normalized.dialect);
}

/** A document normalizeDocument already prepared (e.g. in a worker thread): only the `$ref` resolver is added. */
export function openApiDocument(prepared: Json, dialect: SchemaDialect): OpenApiDocument {
  return {
    root: prepared,
    dialect,
    resolve(node, pointer) {
      let current = node;
      let at = pointer;
      for (let hops = 0; hops < 32; hops++) {
        const ref = typeof current === 'object' && current !== null ? (current as Json).$ref : undefined;
        if (typeof ref !== 'string') {
          if (typeof current !== 'object' || current === null) throw new Error(`${at || '#'}: expected an object`);
          return { node: current as Json, pointer: at };
        }
        if (!ref.startsWith('#')) throw new Error(`${at}: only local $refs (#/...) are supported, found "${ref}"`);
        at = ref.slice(1);
        current = getByPointer(prepared, at);
        if (current === undefined) throw new Error(`${pointer}: $ref "${ref}" does not resolve`);
      }
      throw new Error(`${pointer}: $ref chain too long (cycle?)`);
    },
  };
}

/** Whether any object in the document declares `$id`, `$anchor` or `$dynamicAnchor` (Ajv must then index it whole). */
export function declaresSchemaIds(node: unknown): boolean {
  const stack: unknown[] = [node];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current !== 'object' || current === null) continue;
    if (Array.isArray(current)) {
      for (const item of current) stack.push(item);
      continue;
    }
    const obj = current as Json;
    if (typeof obj.$id === 'string' || typeof obj.$anchor === 'string' || typeof obj.$dynamicAnchor === 'string')
      return true;
    for (const key in obj) stack.push(obj[key]);
  }
  return false;
}
