import { GatewayError, type InvalidParam } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import type { RequestContext } from '../sdk/types.js';
import { openapiValidationContract } from './contract.js';
import type { CompiledDocument, Location } from './operations.js';
import { loadDocumentSync, prepareDocumentOffThread, preparedInline } from './prepare-document.js';
import type { OpenApiValidationConfig } from './schema.js';
import { unknownQueryParameters, validateBody, validateParameters } from './validate-request.js';

const preparedKey = (file: string) => `openapi-validation:${file}`;

export const openapiValidationPolicy = definePolicy<OpenApiValidationConfig>({
  ...openapiValidationContract,
  async prepare(config, env) {
    const source = config.document ?? env.api?.openapi;
    if (source === undefined || !env.prepared) return;
    const what = config.document === undefined ? "the API's openapi document" : 'document';
    if (typeof source !== 'string') {
      // Inline (hybrid snapshots): create() finds it by object (preparedInline), or throws the same error again.
      await prepareDocumentOffThread(source, undefined, what).catch(() => undefined);
      return;
    }
    const file = env.resolvePath(source);
    if (env.prepared.has(preparedKey(file))) return;
    env.prepared.set(
      preparedKey(file),
      await prepareDocumentOffThread(source, file, what).catch((error: unknown) => error as Error),
    );
  },
  create(config, env) {
    const source = config.document ?? env.api?.openapi;
    if (source === undefined) {
      throw new Error("no OpenAPI document: set the API's `openapi` or this policy's `document`");
    }
    const what = config.document === undefined ? "the API's openapi document" : 'document';
    const prepared =
      typeof source === 'string' ? env.prepared?.get(preparedKey(env.resolvePath(source))) : preparedInline(source);
    if (prepared instanceof Error) throw prepared;
    const { matcher } =
      (prepared as CompiledDocument | undefined) ?? loadDocumentSync(source, (p) => env.resolvePath(p), what);
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
