import { fieldPath } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import type { ConfigIssue } from '../sdk/types.js';
import { DocumentProblems } from './check-document.js';
import { prepareDocument } from './document.js';
import { cachedDocument, documentKey } from './document-cache.js';
import { documentDepthProblem, documentSizeProblem } from './limits.js';
import { compileDocument } from './operations.js';
import { type OpenApiValidationConfig, OpenApiValidationConfigSchema } from './schema.js';

export const openapiValidationContract = definePolicyContract<OpenApiValidationConfig>({
  name: 'openapi-validation',
  version: '1.0.0',
  category: 'validation',
  summary:
    "Validates requests (path, query, header and cookie parameters, and the body) against the matching operation of the API's OpenAPI 3.x document.",
  configSchema: OpenApiValidationConfigSchema,
  example: { policy: 'openapi-validation', config: { unknownOperations: 'reject' } },
  phases: ['request'],
  // An inline document is loaded exactly as create() loads it (bounds, 3.x, unknown keywords, RE2 patterns, $refs,
  // parameters, path templates), so a document accepted where it is written loads on every gateway. The result goes
  // to the document cache create() reads, so a gateway pays for the load once. File documents (and the API's own
  // `openapi`) are checked where the file is: on the gateway.
  check(config) {
    const source = config.document;
    if (source === undefined || typeof source === 'string') return [];
    return checkInlineDocument(source);
  },
});

export function checkInlineDocument(source: Record<string, unknown>): ConfigIssue[] {
  const tooDeep = documentDepthProblem(source);
  if (tooDeep) return [{ path: 'document', message: `the document ${tooDeep}` }];
  const text = JSON.stringify(source);
  const tooLarge = documentSizeProblem(text);
  if (tooLarge) return [{ path: 'document', message: `the document ${tooLarge}` }];
  try {
    cachedDocument(documentKey(text), () => compileDocument(prepareDocument(JSON.parse(text))));
    return [];
  } catch (error) {
    if (!(error instanceof DocumentProblems)) return [{ path: 'document', message: (error as Error).message }];
    return error.problems.map(located);
  }
}

/** `/components/schemas/Pet/pattern: message` as an issue at `document.components.schemas.Pet.pattern`. */
function located(problem: string): ConfigIssue {
  const match = /^(\/[^ ]*): (.*)$/s.exec(problem);
  if (!match) return { path: 'document', message: problem };
  let path = 'document';
  for (const raw of match[1]!.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    path = /^\d+$/.test(segment) ? `${path}[${segment}]` : fieldPath(path, segment);
  }
  return { path, message: match[2]! };
}
