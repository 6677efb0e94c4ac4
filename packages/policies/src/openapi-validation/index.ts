import { GatewayError, type InvalidParam } from '@gatehouse/core';
import { loadDocument, parseText, readText } from '../json-schema/load-document.js';
import { definePolicy } from '../sdk/define.js';
import type { RequestContext } from '../sdk/types.js';
import { openapiValidationContract } from './contract.js';
import { prepareDocument } from './document.js';
import { cachedDocument, documentKey } from './document-cache.js';
import { documentDepthProblem, documentSizeProblem } from './limits.js';
import { compileDocument, type Location } from './operations.js';
import type { OpenApiValidationConfig } from './schema.js';
import { unknownQueryParameters, validateBody, validateParameters } from './validate-request.js';

export const openapiValidationPolicy = definePolicy<OpenApiValidationConfig>({
  ...openapiValidationContract,
  create(config, env) {
    const source = config.document ?? env.api?.openapi;
    if (source === undefined) {
      throw new Error("no OpenAPI document: set the API's `openapi` or this policy's `document`");
    }
    const what = config.document === undefined ? "the API's openapi document" : 'document';
    const resolve = (p: string) => env.resolvePath(p);
    // File documents are keyed by their text (read, not parsed); inline ones by their JSON.
    const text = typeof source === 'string' ? readText(source, resolve, what) : JSON.stringify(source);
    const { matcher } = cachedDocument(documentKey(text), () => {
      const tooLarge = documentSizeProblem(text);
      if (tooLarge) throw new Error(`${what} ${tooLarge}`);
      const root = typeof source === 'string' ? parseText(text, source, what) : loadDocument(source, resolve, what);
      if (typeof root !== 'object' || root === null || Array.isArray(root)) {
        throw new Error(`${what} file "${String(source)}" must contain an object`);
      }
      // Inline documents were measured by check(); a file is measured once parsed, before the recursive rewrite.
      const tooDeep = documentDepthProblem(root);
      if (tooDeep) throw new Error(`${what} ${tooDeep}`);
      return compileDocument(prepareDocument(root as Record<string, unknown>));
    });
    const serverPath = config.serverPath.replace(/\/+$/, '');
    const enabled: Record<Location, boolean> = {
      path: config.validatePath,
      query: config.validateQuery,
      header: config.validateHeaders,
      cookie: config.validateCookies,
    };

    const unknown = (error: GatewayError) => {
      if (config.unknownOperations === 'reject') throw error;
    };

    return {
      async request(ctx: RequestContext) {
        let path = ctx.request.path;
        if (serverPath) {
          if (path !== serverPath && !path.startsWith(`${serverPath}/`)) {
            return unknown(new GatewayError('no_route', { detail: 'the API description has no such path' }));
          }
          path = path.slice(serverPath.length) || '/';
        }
        const match = matcher.match(path);
        if (!match) return unknown(new GatewayError('no_route', { detail: 'the API description has no such path' }));
        const handle = match.value.operations.get(ctx.request.method);
        if (!handle) {
          return unknown(
            new GatewayError('method_not_allowed', {
              detail: `${ctx.request.method} is not described for this path`,
              headers: { allow: match.value.allow },
            }),
          );
        }
        const op = handle.compiled();
        const { query, headers } = ctx.request;
        const errors: InvalidParam[] = validateParameters(op, { pathParams: match.params, query, headers }, enabled);
        if (config.unknownQueryParameters === 'reject') errors.push(...unknownQueryParameters(op, query));
        if (config.validateBody && op.body) errors.push(...(await validateBody(op.body, ctx, config.maxDepth)));
        if (errors.length === 0) return;
        const listed = errors.slice(0, config.maxErrors);
        throw new GatewayError('validation_failed', {
          detail: listed.map((e) => `${e.path}: ${e.message}`).join('; '),
          errors: listed,
        });
      },
    };
  },
});
