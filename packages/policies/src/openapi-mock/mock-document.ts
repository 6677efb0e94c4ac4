/**
 * Mock mode compiled: every operation of the API's OpenAPI document with its responses, each media
 * type's examples already serialized (named `examples`, `example`, else a value generated from the
 * schema), and the per-operation choices of `mock.operations` applied. Built once per document and
 * mock settings at config load; a request only matches its path and picks among prepared buffers.
 */
import type { Mock } from '@gatehouse/config';
import { isJsonMediaType } from '../json-schema/load-document.js';
import { type OpenApiDocument, prepareDocument } from '../openapi-validation/document.js';
import { PathMatcher } from '../openapi-validation/path-matcher.js';
import { type Budget, GENERATION_LIMITS, generateExample } from './generate.js';

type Json = Record<string, unknown>;

export interface MockMedia {
  /** Lower-case media type as declared, without parameters: `application/json`, `text/*`. */
  range: string;
  /** What the content-type header says. */
  contentType: string;
  examples: ReadonlyMap<string, Buffer>;
  /** The configured example, else the first one. */
  preferred: Buffer;
}

export interface MockResponse {
  status: number;
  /** Undefined when the response has no content (204, or no `content`). */
  media: MockMedia[];
  /** The configured content type, else the first JSON one, else the first declared. */
  defaultMedia: MockMedia | undefined;
  headers: Readonly<Record<string, string>>;
}

export interface MockOperation {
  responses: ReadonlyMap<number, MockResponse>;
  /** The `default` response, answering any status a client prefers that is not declared. */
  fallback: MockResponse | undefined;
  chosen: MockResponse;
}

export interface MockPath {
  operations: ReadonlyMap<string, MockOperation>;
  allow: string;
}

export interface CompiledMock {
  matcher: PathMatcher<MockPath>;
  preferHeader: boolean;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const EMPTY = Buffer.alloc(0);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const HEADER_VALUE = /^[\t\x20-\x7e]{0,1000}$/;
/** Headers the gateway sets itself (or that would break framing) are never taken from the document. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'transfer-encoding', 'connection', 'set-cookie']);

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `200` -> 200, `4XX` -> 400, `default` -> undefined. */
function statusOf(key: string): number | undefined {
  if (/^[1-5]\d\d$/.test(key)) return Number(key);
  if (/^[1-5]XX$/i.test(key)) return Number(key[0]) * 100;
  return undefined;
}

function encode(value: unknown, range: string): Buffer {
  if (value === undefined) return EMPTY;
  if (typeof value === 'string' && !isJsonMediaType(range)) return Buffer.from(value);
  return Buffer.from(JSON.stringify(value) ?? '');
}

class Compiler {
  readonly budget: Budget = { document: GENERATION_LIMITS.documentNodes };
  private readonly generated = new Map<string, Buffer>();

  constructor(readonly doc: OpenApiDocument) {}

  resolve(node: unknown, pointer: string): { node: Json; pointer: string } {
    return this.doc.resolve(node, pointer);
  }

  media(type: string, raw: unknown, pointer: string, wantedExample: string | undefined): MockMedia {
    const range = type.split(';', 1)[0]!.trim().toLowerCase();
    const contentType = range.includes('*') ? 'application/octet-stream' : type;
    const { node, pointer: at } = isObject(raw) ? this.resolve(raw, pointer) : { node: {}, pointer };
    const examples = new Map<string, Buffer>();
    if (isObject(node.examples)) {
      for (const [name, entry] of Object.entries(node.examples)) {
        const { node: example } = this.resolve(entry, `${at}/examples/${escapePointer(name)}`);
        // externalValue would mean fetching at load: left out, like Prism's static mode.
        if ('value' in example) examples.set(name, encode(example.value, range));
      }
    }
    if ('example' in node) examples.set('example', encode(node.example, range));
    if (examples.size === 0 && node.schema !== undefined) {
      // Operations sharing a `$ref` schema share its generated answer (generated once, one buffer).
      const ref =
        isObject(node.schema) && typeof node.schema.$ref === 'string' ? `${range} ${node.schema.$ref}` : undefined;
      let body = ref === undefined ? undefined : this.generated.get(ref);
      if (body === undefined) {
        body = encode(generateExample(this.doc, node.schema, `${at}/schema`, this.budget), range);
        if (ref !== undefined) this.generated.set(ref, body);
      }
      examples.set('generated', body);
    }
    if (wantedExample !== undefined && !examples.has(wantedExample))
      throw new Error(`${type} has no example "${wantedExample}" (has: ${[...examples.keys()].join(', ') || 'none'})`);
    const preferred = examples.get(wantedExample ?? '') ?? examples.values().next().value ?? EMPTY;
    return { range, contentType, examples, preferred };
  }

  headers(raw: unknown, pointer: string): Record<string, string> {
    const out: Record<string, string> = {};
    if (!isObject(raw)) return out;
    for (const [name, entry] of Object.entries(raw).slice(0, 20)) {
      const lower = name.toLowerCase();
      if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(lower)) continue;
      const { node, pointer: at } = this.resolve(entry, `${pointer}/${escapePointer(name)}`);
      const value =
        'example' in node ? node.example : generateExample(this.doc, node.schema, `${at}/schema`, this.budget);
      const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
      if (text !== undefined && HEADER_VALUE.test(text)) out[lower] = text;
    }
    return out;
  }

  response(
    status: number,
    raw: unknown,
    pointer: string,
    wanted: { contentType?: string | undefined; example?: string | undefined },
  ): MockResponse {
    const { node, pointer: at } = this.resolve(raw, pointer);
    const entries = Object.entries(isObject(node.content) ? node.content : {});
    // The media type the choice applies to: the one named, else the first when only an example is named.
    let target = wanted.example !== undefined ? 0 : -1;
    if (wanted.contentType !== undefined) {
      target = entries.findIndex(([type]) => sameType(type, wanted.contentType!));
      if (target < 0)
        throw new Error(
          `response ${status} has no content type "${wanted.contentType}" (has: ${entries.map(([t]) => t).join(', ') || 'none'})`,
        );
    }
    if (wanted.example !== undefined && entries.length === 0)
      throw new Error(`response ${status} has no content, so no example "${wanted.example}"`);
    const media = entries.map(([type, entry], i) =>
      this.media(type, entry, `${at}/content/${escapePointer(type)}`, i === target ? wanted.example : undefined),
    );
    // Without a choice, a JSON media type: the control plane stores documents as jsonb, which does
    // not keep key order, so "the first declared" would not be the author's first.
    const defaultMedia = target >= 0 ? media[target] : (media.find((m) => isJsonMediaType(m.range)) ?? media[0]);
    return { status, media, defaultMedia, headers: this.headers(node.headers, `${at}/headers`) };
  }

  operation(op: Json, pointer: string, choice: NonNullable<Mock['operations']>[string] | undefined): MockOperation {
    const responses = new Map<number, MockResponse>();
    let fallback: MockResponse | undefined;
    const declared = isObject(op.responses) ? op.responses : {};
    const wantedStatus = choice?.status;
    for (const [key, raw] of Object.entries(declared)) {
      const status = statusOf(key);
      const isDefault = key === 'default';
      if (status === undefined && !isDefault) continue;
      const chosen =
        wantedStatus === undefined ? false : wantedStatus === 'default' ? isDefault : wantedStatus === status;
      const wanted = chosen ? { contentType: choice?.contentType, example: choice?.example } : {};
      const response = this.response(status ?? 200, raw, `${pointer}/responses/${escapePointer(key)}`, wanted);
      if (isDefault) fallback = response;
      else if (!responses.has(status!)) responses.set(status!, response);
    }
    let chosen: MockResponse | undefined;
    if (wantedStatus !== undefined) {
      chosen = wantedStatus === 'default' ? fallback : responses.get(wantedStatus);
      if (!chosen) throw new Error(`declares no response ${wantedStatus}`);
    } else {
      const success = [...responses.keys()].filter((s) => s >= 200 && s < 300).sort((a, b) => a - b)[0];
      chosen = success !== undefined ? responses.get(success) : (fallback ?? responses.values().next().value);
      if (choice && (choice.contentType !== undefined || choice.example !== undefined) && chosen) {
        // No status chosen: the content type / example apply to the response answered by default.
        const key = Object.keys(declared).find((k) => (statusOf(k) ?? 200) === chosen!.status);
        chosen = this.response(chosen.status, declared[key!], `${pointer}/responses/${escapePointer(key!)}`, {
          contentType: choice.contentType,
          example: choice.example,
        });
        if (key === 'default') fallback = chosen;
        else responses.set(chosen.status, chosen);
      }
    }
    chosen ??= { status: 200, media: [], defaultMedia: undefined, headers: {} };
    return { responses, fallback, chosen };
  }
}

function sameType(declared: string, wanted: string): boolean {
  return declared.split(';', 1)[0]!.trim().toLowerCase() === wanted.split(';', 1)[0]!.trim().toLowerCase();
}

/** Compiles the mock of a parsed OpenAPI document (which it may rewrite); throws an Error naming the operation on a bad choice. */
export function compileMock(root: Json, mock: Mock): CompiledMock {
  // 3.0 documents are rewritten in place: loadMock hands over its own copy.
  const builder = new MockBuilder(prepareDocument(root), mock);
  for (const [template, rawItem] of Object.entries(builder.doc.root.paths as Json)) builder.add(template, rawItem);
  return builder.done();
}

/** compileMock() for a document already normalized (in a worker), one path after another in slices of a few ms. */
export async function compileMockInSlices(doc: OpenApiDocument, mock: Mock, sliceMs = 4): Promise<CompiledMock> {
  const builder = new MockBuilder(doc, mock);
  let sliceStart = performance.now();
  for (const [template, rawItem] of Object.entries(doc.root.paths as Json)) {
    if (performance.now() - sliceStart > sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
    builder.add(template, rawItem);
  }
  return builder.done();
}

/** The paths of one document, added one at a time. */
class MockBuilder {
  private readonly compiler: Compiler;
  private readonly choices: Map<string, NonNullable<Mock['operations']>[string]>;
  private readonly matcher = new PathMatcher<MockPath>();

  constructor(
    readonly doc: OpenApiDocument,
    private readonly mock: Mock,
  ) {
    this.compiler = new Compiler(doc);
    this.choices = new Map(Object.entries(mock.operations ?? {}));
  }

  add(template: string, rawItem: unknown): void {
    if (!template.startsWith('/')) return;
    const { node: item, pointer: itemPointer } = this.doc.resolve(rawItem, `/paths/${escapePointer(template)}`);
    const operations = new Map<string, MockOperation>();
    for (const method of METHODS) {
      if (!isObject(item[method])) continue;
      const key = `${method.toUpperCase()} ${template}`;
      try {
        operations.set(
          method.toUpperCase(),
          this.compiler.operation(item[method] as Json, `${itemPointer}/${method}`, this.choices.get(key)),
        );
      } catch (error) {
        throw new Error(`${key}: ${(error as Error).message}`);
      }
      this.choices.delete(key);
    }
    if (operations.has('GET') && !operations.has('HEAD')) operations.set('HEAD', operations.get('GET')!);
    this.matcher.add(template, { operations, allow: [...operations.keys()].join(', ') });
  }

  done(): CompiledMock {
    const unknown = [...this.choices.keys()];
    if (unknown.length > 0) throw new Error(`operations: the OpenAPI document has no ${unknown.join(', ')}`);
    return { matcher: this.matcher, preferHeader: this.mock.preferHeader ?? true };
  }
}
