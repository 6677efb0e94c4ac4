/**
 * Load-time checks of every schema an OpenAPI document holds (components, parameters, request
 * bodies), without compiling them: unknown keywords, patterns RE2 cannot run and `$ref`s that do not
 * resolve are refused with their JSON pointer. OpenAPI's own schema vocabulary and `x-` extensions
 * are accepted as annotations.
 */
import type { AnyAjv } from '../json-schema/ajv.js';
import { checkSchema } from '../json-schema/schema-check.js';
import { escapePointer, type Json, type OpenApiDocument } from './document.js';

/** Schema Object fields of OpenAPI that JSON Schema does not define (annotations for validation). */
const OPENAPI_KEYWORDS = new Set(['discriminator', 'xml', 'externalDocs', 'example']);
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function entries(node: unknown): Array<[string, unknown]> {
  return typeof node === 'object' && node !== null && !Array.isArray(node) ? Object.entries(node) : [];
}

/** Every place a Schema Object sits, with its pointer (parameters, media types, components). */
function schemaLocations(root: Json): Array<{ schema: unknown; at: string }> {
  const out: Array<{ schema: unknown; at: string }> = [];
  const fromParameters = (list: unknown, at: string) => {
    if (!Array.isArray(list)) return;
    list.forEach((p, i) => {
      if (typeof p === 'object' && p !== null && (p as Json).schema !== undefined)
        out.push({ schema: (p as Json).schema, at: `${at}/${i}/schema` });
    });
  };
  const fromContent = (content: unknown, at: string) => {
    for (const [type, media] of entries(content)) {
      if (typeof media === 'object' && media !== null && (media as Json).schema !== undefined)
        out.push({ schema: (media as Json).schema, at: `${at}/${escapePointer(type)}/schema` });
    }
  };
  const components = (root.components ?? {}) as Json;
  for (const [name, schema] of entries(components.schemas))
    out.push({ schema, at: `/components/schemas/${escapePointer(name)}` });
  for (const [name, p] of entries(components.parameters))
    fromParameters([p], `/components/parameters/${escapePointer(name)}`);
  for (const [name, body] of entries(components.requestBodies))
    fromContent((body as Json)?.content, `/components/requestBodies/${escapePointer(name)}/content`);
  for (const [template, item] of entries(root.paths)) {
    const at = `/paths/${escapePointer(template)}`;
    fromParameters((item as Json)?.parameters, `${at}/parameters`);
    for (const method of METHODS) {
      const op = (item as Json)?.[method] as Json | undefined;
      if (typeof op !== 'object' || op === null) continue;
      fromParameters(op.parameters, `${at}/${method}/parameters`);
      fromContent((op.requestBody as Json | undefined)?.content, `${at}/${method}/requestBody/content`);
    }
  }
  return out;
}

/** At most this many problems are listed: a broken document could otherwise yield thousands. */
const MAX_PROBLEMS = 20;

/** A document refused at load, with each problem (message prefixed by its JSON pointer) for callers that map paths. */
export class DocumentProblems extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

export function checkDocument(doc: OpenApiDocument, ajv: AnyAjv): void {
  const seen = new WeakSet<object>();
  const problems: string[] = [];
  const checkRef = (ref: string, at: string): string | undefined => {
    try {
      doc.resolve({ $ref: ref }, at);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
  for (const { schema, at } of schemaLocations(doc.root)) {
    const result = checkSchema(ajv, schema, at, {
      seen,
      isExtension: (keyword) => keyword.startsWith('x-') || OPENAPI_KEYWORDS.has(keyword),
      checkRef,
    });
    problems.push(...result.problems);
    if (problems.length >= MAX_PROBLEMS) break;
  }
  if (problems.length > 0) throw new DocumentProblems(problems.slice(0, MAX_PROBLEMS));
}
