/**
 * Indexes every operation of an OpenAPI document at load time and compiles each on its first request:
 * one Ajv validator per parameter location (path, query, header, cookie) and one per request body
 * media type. Compiling a Stripe-sized document up front took seconds of blocked event loop on every
 * reload; an operation compiles only what it reaches, and components compiled for one operation are
 * shared by the next (one Ajv per document). Schemas are referenced by JSON pointer into the document
 * (added to Ajv once), so local `$ref`s resolve where they were written. Everything that can be refused
 * (unknown keywords, patterns RE2 cannot run, unresolvable `$ref`s of parameters and bodies) is
 * refused at load by checkDocument, without compiling.
 */
import type { ValidateFunction } from 'ajv';
import { type AnyAjv, createAjv } from '../json-schema/ajv.js';
import { isJsonMediaType } from '../json-schema/load-document.js';
import { checkDocument } from './check-document.js';
import { escapePointer, type Json, type OpenApiDocument } from './document.js';
import { PathMatcher } from './path-matcher.js';

export const LOCATIONS = ['path', 'query', 'header', 'cookie'] as const;
export type Location = (typeof LOCATIONS)[number];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
/** Header parameters the specification says to ignore: HTTP itself governs them. */
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);
const DOC_ID = 'urn:gatehouse:openapi';

export interface ParameterSpec {
  name: string;
  in: Location;
  shape: 'scalar' | 'array' | 'object';
  style: string;
  explode: boolean;
}

export interface ParameterGroup {
  location: Location;
  specs: ParameterSpec[];
  validate: ValidateFunction;
}

export interface MediaTypeSpec {
  /** Lower-case media range as declared: `application/json`, `image/*`, `*\/*`. */
  range: string;
  kind: 'json' | 'form' | 'other';
  validate: ValidateFunction | undefined;
}

export interface CompiledOperation {
  method: string;
  template: string;
  groups: ParameterGroup[];
  /** Declared query parameter names, for `unknownQueryParameters: reject`; undefined = cannot tell. */
  declaredQuery: Set<string> | undefined;
  body: { required: boolean; media: MediaTypeSpec[] } | undefined;
}

/** An operation of the document, compiled on first use (then kept for the config version's life). */
export interface OperationHandle {
  method: string;
  template: string;
  compiled(): CompiledOperation;
}

export interface PathEntry {
  template: string;
  operations: Map<string, OperationHandle>;
  /** Allow header value for 405 answers. */
  allow: string;
}

export interface CompiledDocument {
  matcher: PathMatcher<PathEntry>;
  operationCount: number;
}

function schemaRef(pointer: string): { $ref: string } {
  return { $ref: `${DOC_ID}#${pointer.split('/').map(encodeURIComponent).join('/')}` };
}

function shapeOf(doc: OpenApiDocument, schema: unknown, pointer: string): ParameterSpec['shape'] {
  if (schema === undefined) return 'scalar';
  const { node } = doc.resolve(schema, pointer);
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (types.includes('array')) return 'array';
  if (types.includes('object')) return 'object';
  if (node.type !== undefined) return 'scalar';
  // No `type`: what the schema constrains says what the parameter is.
  if (node.properties !== undefined || node.additionalProperties !== undefined || node.patternProperties !== undefined)
    return 'object';
  if (node.items !== undefined || node.prefixItems !== undefined) return 'array';
  return 'scalar';
}

/** Path-item parameters, overridden by operation parameters with the same name and location. */
function collectParameters(doc: OpenApiDocument, pathItem: Json, pathPointer: string, op: Json, opPointer: string) {
  const byKey = new Map<string, { param: Json; pointer: string }>();
  for (const [list, base] of [
    [pathItem.parameters, `${pathPointer}/parameters`],
    [op.parameters, `${opPointer}/parameters`],
  ] as const) {
    if (!Array.isArray(list)) continue;
    list.forEach((raw, i) => {
      const { node, pointer } = doc.resolve(raw, `${base}/${i}`);
      if (typeof node.name !== 'string' || !LOCATIONS.includes(node.in as Location)) {
        throw new Error(`${pointer}: a parameter needs a name and in: path|query|header|cookie`);
      }
      const name = node.in === 'header' ? node.name.toLowerCase() : node.name;
      byKey.set(`${node.in}:${name}`, { param: node, pointer });
    });
  }
  return [...byKey.values()];
}

function compileGroups(
  doc: OpenApiDocument,
  coercing: AnyAjv,
  params: Array<{ param: Json; pointer: string }>,
): { groups: ParameterGroup[]; declaredQuery: Set<string> | undefined } {
  const groups: ParameterGroup[] = [];
  let declaredQuery: Set<string> | undefined = new Set();
  for (const location of LOCATIONS) {
    const specs: ParameterSpec[] = [];
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    for (const { param, pointer } of params) {
      if (param.in !== location) continue;
      const name = param.name as string;
      if (location === 'header' && IGNORED_HEADERS.has(name.toLowerCase())) continue;
      if (location === 'query') declaredQuery?.add(name);
      const style =
        typeof param.style === 'string'
          ? param.style
          : location === 'query' || location === 'cookie'
            ? 'form'
            : 'simple';
      const explode = typeof param.explode === 'boolean' ? param.explode : style === 'form';
      const inferred = shapeOf(doc, param.schema, `${pointer}/schema`);
      // deepObject serializes objects only: a deepObject parameter is an object whatever its schema omits.
      const shape = style === 'deepObject' && inferred === 'scalar' ? 'object' : inferred;
      // Exploded form objects spread over several query names: their names cannot be checked.
      if (shape === 'object' && location === 'query' && style === 'form') declaredQuery = undefined;
      if (shape === 'object' && style !== 'deepObject') continue; // only deepObject objects are deserialized
      specs.push({ name, in: location, shape, style, explode });
      properties[name] = param.schema === undefined ? {} : schemaRef(`${pointer}/schema`);
      if (param.required === true || location === 'path') required.push(name);
    }
    if (specs.length === 0) continue;
    const validate = coercing.compile({ type: 'object', properties, required });
    groups.push({ location, specs, validate });
  }
  return { groups, declaredQuery };
}

function compileBody(
  doc: OpenApiDocument,
  strict: AnyAjv,
  coercing: AnyAjv,
  raw: unknown,
  base: string,
): CompiledOperation['body'] {
  if (raw === undefined) return undefined;
  const { node, pointer } = doc.resolve(raw, base);
  const content = (node.content ?? {}) as Json;
  const media: MediaTypeSpec[] = Object.entries(content).map(([type, mediaObject]) => {
    const range = type.split(';', 1)[0]!.trim().toLowerCase();
    const kind = isJsonMediaType(range) ? 'json' : range === 'application/x-www-form-urlencoded' ? 'form' : 'other';
    const hasSchema =
      typeof mediaObject === 'object' && mediaObject !== null && (mediaObject as Json).schema !== undefined;
    const ajv = kind === 'json' ? strict : coercing;
    const validate =
      hasSchema && kind !== 'other'
        ? ajv.compile(schemaRef(`${pointer}/content/${escapePointer(type)}/schema`))
        : undefined;
    return { range, kind, validate };
  });
  return { required: node.required === true, media };
}

/** What indexing one document shares: the document and its two Ajv instances. */
interface Indexer {
  doc: OpenApiDocument;
  coercing: AnyAjv;
  strict: AnyAjv;
}

export interface IndexOptions {
  /** checkDocument already ran (in the worker that prepared the document). */
  checked?: boolean;
  /** False when the document declares no `$id`/`$anchor` anywhere, so Ajv need not walk it (see registerDocument). */
  declaresIds?: boolean;
}

/** Parameters arrive as strings, so their validator coerces ("5" -> 5); JSON bodies must be exact. */
const AJV_OPTIONS = [{ coerceTypes: 'array' }, {}] as const;

function createIndexer(doc: OpenApiDocument, options: IndexOptions): Indexer {
  const [coercing, strict] = AJV_OPTIONS.map((ajvOptions) => createAjv(doc.dialect, ajvOptions)) as [AnyAjv, AnyAjv];
  if (!options.checked) checkDocument(doc, strict);
  for (const ajv of [coercing, strict]) registerDocument(ajv, doc.root, options.declaresIds ?? true);
  return { doc, coercing, strict };
}

/**
 * Adds the document under DOC_ID. Ajv walks a schema it is given to find `$id`s and anchors: a
 * second of blocked event loop per instance for a Stripe-sized document. A document known to declare
 * none is given as a view whose fields are not enumerable: the walk sees no keys, while `$ref`
 * resolution (property lookups along the JSON pointer) finds everything.
 */
function registerDocument(ajv: AnyAjv, root: Json, declaresIds: boolean): void {
  if (declaresIds) {
    ajv.addSchema(root, DOC_ID, undefined, false);
    return;
  }
  const view: Json = {};
  for (const key of Object.keys(root)) Object.defineProperty(view, key, { value: root[key], enumerable: false });
  ajv.addSchema(view, DOC_ID, undefined, false);
}

/** One path item: its operations, each compiled on first use; undefined for `x-` extensions. */
function indexPath(ix: Indexer, template: string, rawItem: unknown): { entry: PathEntry; count: number } | undefined {
  if (!template.startsWith('/')) return undefined; // `x-` extensions
  const { doc, coercing, strict } = ix;
  const base = `/paths/${escapePointer(template)}`;
  const { node: pathItem, pointer: pathPointer } = doc.resolve(rawItem, base);
  const operations = new Map<string, OperationHandle>();
  let count = 0;
  for (const method of METHODS) {
    const rawOp = pathItem[method];
    if (rawOp === undefined) continue;
    count++;
    const opPointer = `${pathPointer}/${method}`;
    const upper = method.toUpperCase();
    const fail = (error: unknown) => new Error(`${upper} ${template}: ${(error as Error).message}`);
    let params: ReturnType<typeof collectParameters>;
    try {
      // Parameters are resolved now (cheap), so a broken parameter $ref is a load error.
      params = collectParameters(doc, pathItem, pathPointer, rawOp as Json, opPointer);
    } catch (error) {
      throw fail(error);
    }
    let compiled: CompiledOperation | Error | undefined;
    const compile = (): CompiledOperation => {
      const { groups, declaredQuery } = compileGroups(doc, coercing, params);
      const body = compileBody(doc, strict, coercing, (rawOp as Json).requestBody, `${opPointer}/requestBody`);
      return { method: upper, template, groups, declaredQuery, body };
    };
    operations.set(upper, {
      method: upper,
      template,
      compiled() {
        if (compiled === undefined) {
          try {
            compiled = compile();
          } catch (error) {
            // What checkDocument could not foresee (an Ajv limit): remembered, never recompiled per request.
            compiled = fail(error);
          }
        }
        if (compiled instanceof Error) throw compiled;
        return compiled;
      },
    });
  }
  if (operations.has('GET') && !operations.has('HEAD')) {
    const get = operations.get('GET')!;
    let head: CompiledOperation | undefined;
    operations.set('HEAD', {
      method: 'HEAD',
      template,
      compiled: () => {
        head ??= { ...get.compiled(), method: 'HEAD' };
        return head;
      },
    });
  }
  return { entry: { template, operations, allow: [...operations.keys()].join(', ') }, count };
}

export function compileDocument(doc: OpenApiDocument, options: IndexOptions = {}): CompiledDocument {
  const ix = createIndexer(doc, options);
  const matcher = new PathMatcher<PathEntry>();
  let operationCount = 0;
  for (const [template, rawItem] of Object.entries(doc.root.paths as Json)) {
    const indexed = indexPath(ix, template, rawItem);
    if (!indexed) continue;
    matcher.add(template, indexed.entry);
    operationCount += indexed.count;
  }
  return { matcher, operationCount };
}

/**
 * compileDocument in slices of about `sliceMs` of CPU each, yielding to the event loop (setImmediate,
 * after pending I/O) in between, so requests keep being served while a large document is indexed.
 */
export async function compileDocumentInSlices(
  doc: OpenApiDocument,
  options: IndexOptions & { sliceMs?: number } = {},
): Promise<CompiledDocument> {
  const sliceMs = options.sliceMs ?? 4;
  // An Ajv instance takes milliseconds to create (its meta-schemas compile): one per turn.
  const ajvs: AnyAjv[] = [];
  for (const ajvOptions of AJV_OPTIONS) {
    const ajv = createAjv(doc.dialect, ajvOptions);
    if (!options.checked && ajvs.length === 0) checkDocument(doc, ajv); // the keyword set is the same in both
    registerDocument(ajv, doc.root, options.declaresIds ?? true);
    ajvs.push(ajv);
    await yieldToEventLoop();
  }
  const ix: Indexer = { doc, coercing: ajvs[0]!, strict: ajvs[1]! };
  const matcher = new PathMatcher<PathEntry>();
  let operationCount = 0;
  let sliceStart = performance.now();
  for (const [template, rawItem] of Object.entries(doc.root.paths as Json)) {
    if (performance.now() - sliceStart > sliceMs) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
    const indexed = indexPath(ix, template, rawItem);
    if (!indexed) continue;
    matcher.add(template, indexed.entry);
    operationCount += indexed.count;
  }
  return { matcher, operationCount };
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
