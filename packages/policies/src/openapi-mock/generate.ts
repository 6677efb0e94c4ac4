/**
 * Example values generated from OpenAPI schemas, for mock mode when a response declares no example.
 * Runs at config load only. Every walk is bounded, whatever the document: a recursive `$ref` stops at
 * `maxDepth`, each value has at most `maxNodes` nodes, arrays get few items and strings few characters,
 * and a budget shared by the whole document caps the total (past it, values are empty skeletons).
 */
import type { OpenApiDocument } from '../openapi-validation/document.js';

type Json = Record<string, unknown>;

export const GENERATION_LIMITS = {
  /** Nesting of objects and arrays in one generated value. */
  maxDepth: 8,
  /** Values (objects, arrays, scalars) in one generated example. */
  maxNodes: 300,
  maxArrayItems: 3,
  maxStringLength: 64,
  /** Values generated for a whole document, over all its operations. */
  documentNodes: 200_000,
};

export interface Budget {
  /** Nodes left for the whole document. */
  document: number;
}

const FORMATS: Record<string, string> = {
  'date-time': '2024-01-01T00:00:00Z',
  date: '2024-01-01',
  time: '00:00:00Z',
  duration: 'P1D',
  email: 'user@example.com',
  'idn-email': 'user@example.com',
  uuid: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  uri: 'https://example.com',
  url: 'https://example.com',
  'uri-reference': '/example',
  iri: 'https://example.com',
  hostname: 'example.com',
  'idn-hostname': 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  byte: 'ZXhhbXBsZQ==',
  binary: '',
  password: '********',
  'json-pointer': '/example',
  regex: '.*',
};

/** One generation: its own node count, the document's shared budget, the `$ref`s on the current path. */
class Walk {
  private nodes = 0;
  private readonly refs: string[] = [];

  constructor(
    private readonly doc: OpenApiDocument,
    private readonly budget: Budget,
  ) {}

  private exhausted(): boolean {
    return this.nodes >= GENERATION_LIMITS.maxNodes || this.budget.document <= 0;
  }

  private count(): void {
    this.nodes++;
    this.budget.document--;
  }

  value(raw: unknown, pointer: string, depth: number): unknown {
    if (raw === true || raw === undefined) return null;
    if (typeof raw !== 'object' || raw === null) return null;
    let schema: Json;
    let at = pointer;
    const ref = (raw as Json).$ref;
    if (typeof ref === 'string') {
      try {
        ({ node: schema, pointer: at } = this.doc.resolve(raw, pointer));
      } catch {
        return null;
      }
      this.refs.push(ref);
      try {
        return this.schemaValue(schema, at, depth);
      } finally {
        this.refs.pop();
      }
    }
    return this.schemaValue(raw as Json, at, depth);
  }

  /** How often `$ref` is on the current path: a recursive schema's second visit stops optional parts. */
  private recursing(raw: unknown): boolean {
    const ref = typeof raw === 'object' && raw !== null ? (raw as Json).$ref : undefined;
    return typeof ref === 'string' && this.refs.includes(ref);
  }

  private schemaValue(schema: Json, at: string, depth: number): unknown {
    // Compositions and references deepen too, so `A: { allOf: [$ref: A] }` ends like nested objects do.
    if (this.exhausted() || depth > GENERATION_LIMITS.maxDepth) return skeleton(schema);
    this.count();
    if ('const' in schema) return schema.const;
    if ('example' in schema) return schema.example;
    if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
    if ('default' in schema) return schema.default;
    if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
    if (Array.isArray(schema.allOf)) return this.allOf(schema, at, depth);
    for (const key of ['oneOf', 'anyOf'] as const) {
      const options = schema[key];
      if (!Array.isArray(options) || options.length === 0) continue;
      // The first option that is not `null` (3.0 `nullable` was rewritten into anyOf [schema, null]).
      const index = Math.max(
        0,
        options.findIndex((o) => !(typeof o === 'object' && o !== null && (o as Json).type === 'null')),
      );
      return this.value(options[index], `${at}/${key}/${index}`, depth + 1);
    }
    switch (typeOf(schema)) {
      case 'object':
        return this.object(schema, at, depth);
      case 'array':
        return this.array(schema, at, depth);
      case 'string':
        return stringValue(schema);
      case 'integer':
        return numberValue(schema, true);
      case 'number':
        return numberValue(schema, false);
      case 'boolean':
        return true;
      case 'null':
        return null;
      default:
        return null;
    }
  }

  private allOf(schema: Json, at: string, depth: number): unknown {
    const parts = schema.allOf as unknown[];
    let merged: unknown;
    parts.forEach((part, i) => {
      const value = this.value(part, `${at}/allOf/${i}`, depth + 1);
      merged = isPlainObject(merged) && isPlainObject(value) ? { ...merged, ...value } : (value ?? merged);
    });
    // Sibling keywords of allOf (properties next to it) count too.
    const { allOf: _allOf, ...rest } = schema;
    if (rest.properties !== undefined && isPlainObject(merged)) {
      const own = this.object(rest, at, depth);
      if (isPlainObject(own)) merged = { ...merged, ...own };
    }
    return merged ?? {};
  }

  private object(schema: Json, at: string, depth: number): unknown {
    const out: Record<string, unknown> = {};
    if (depth >= GENERATION_LIMITS.maxDepth) return out;
    const properties = isPlainObject(schema.properties) ? schema.properties : {};
    const { names, required } = shapeOf(schema, properties);
    // Early exit: a schema with 100,000 properties costs what the node limit lets through, per visit.
    for (const name of names) {
      if (this.exhausted()) break;
      const property = properties[name];
      if (typeof property === 'object' && property !== null && (property as Json).writeOnly === true) continue;
      // A recursive reference is followed once when required (depth stops it), never when optional.
      if (this.recursing(property) && !required.has(name)) continue;
      out[name] = this.value(property, `${at}/properties/${escapePointer(name)}`, depth + 1);
    }
    return out;
  }

  private array(schema: Json, at: string, depth: number): unknown[] {
    if (depth >= GENERATION_LIMITS.maxDepth) return [];
    const out: unknown[] = [];
    const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
    const wanted = Math.min(
      GENERATION_LIMITS.maxArrayItems,
      Math.max(typeof schema.minItems === 'number' ? schema.minItems : 1, 1, prefix.length),
      typeof schema.maxItems === 'number' ? schema.maxItems : Number.POSITIVE_INFINITY,
    );
    for (let i = 0; i < wanted && !this.exhausted(); i++) {
      const item = i < prefix.length ? prefix[i] : schema.items;
      if (item === undefined || item === false) break;
      if (i >= prefix.length && this.recursing(item) && i > 0) break;
      const pointer = i < prefix.length ? `${at}/prefixItems/${i}` : `${at}/items`;
      out.push(this.value(item, pointer, depth + 1));
    }
    return out;
  }
}

/** Property names and required set of an object schema, computed once per schema object. */
const shapes = new WeakMap<object, { names: string[]; required: Set<unknown> }>();
function shapeOf(schema: Json, properties: Json): { names: string[]; required: Set<unknown> } {
  let shape = shapes.get(schema);
  if (!shape) {
    shape = {
      names: Object.keys(properties),
      required: new Set(Array.isArray(schema.required) ? schema.required : []),
    };
    shapes.set(schema, shape);
  }
  return shape;
}

/** The smallest value of the schema's type: what a value past the limits becomes. */
function skeleton(schema: Json): unknown {
  switch (typeOf(schema)) {
    case 'object':
      return {};
    case 'array':
      return [];
    case 'string':
      return '';
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeOf(schema: Json): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return (type.find((t) => t !== 'null') ?? type[0]) as string | undefined;
  if (schema.properties !== undefined || schema.additionalProperties !== undefined) return 'object';
  if (schema.items !== undefined || schema.prefixItems !== undefined) return 'array';
  return undefined;
}

function stringValue(schema: Json): string {
  const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
  let value = format ?? 'string';
  const min = typeof schema.minLength === 'number' ? Math.min(schema.minLength, GENERATION_LIMITS.maxStringLength) : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Number.POSITIVE_INFINITY;
  if (value.length < min) value = value.padEnd(min, 'x');
  if (value.length > max) value = value.slice(0, Math.max(0, max));
  return value;
}

function numberValue(schema: Json, integer: boolean): number {
  const step = integer ? 1 : 0.5;
  let low = typeof schema.minimum === 'number' ? schema.minimum : Number.NEGATIVE_INFINITY;
  if (typeof schema.exclusiveMinimum === 'number') low = Math.max(low, schema.exclusiveMinimum + step);
  let high = typeof schema.maximum === 'number' ? schema.maximum : Number.POSITIVE_INFINITY;
  if (typeof schema.exclusiveMaximum === 'number') high = Math.min(high, schema.exclusiveMaximum - step);
  let value = Math.min(Math.max(0, low), high);
  if (integer) value = Number.isFinite(value) ? Math.ceil(value) : 0;
  const multiple = typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? schema.multipleOf : undefined;
  if (multiple !== undefined && value % multiple !== 0) value = Math.ceil(value / multiple) * multiple;
  return Number.isFinite(value) ? value : 0;
}

/** A value for the schema at `pointer` (possibly a `$ref`), within the limits and the document's budget. */
export function generateExample(doc: OpenApiDocument, schema: unknown, pointer: string, budget: Budget): unknown {
  return new Walk(doc, budget).value(schema, pointer, 0);
}
