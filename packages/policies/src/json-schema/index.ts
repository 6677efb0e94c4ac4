import { GatewayError, type InvalidParam } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import type { RequestContext } from '../sdk/types.js';
import { checkJson } from './body.js';
import { compileBodySchema } from './compile-schema.js';
import { jsonSchemaContract } from './contract.js';
import { isJsonMediaType } from './load-document.js';
import type { JsonSchemaConfig } from './schema.js';

function summarize(errors: InvalidParam[]): string {
  return errors.map((e) => `${e.path || '(root)'} ${e.message}`).join('; ');
}

export const jsonSchemaPolicy = definePolicy<JsonSchemaConfig>({
  ...jsonSchemaContract,
  create(config, env) {
    if (config.schema === undefined && config.responseSchema === undefined) {
      throw new Error('set `schema` (request body), `responseSchema` or both');
    }
    const requestValidator = config.schema === undefined ? undefined : compileBodySchema(config.schema, env, 'schema');
    const responseValidator =
      config.responseSchema === undefined ? undefined : compileBodySchema(config.responseSchema, env, 'responseSchema');
    const methods = new Set(config.methods.map((m) => m.toUpperCase()));
    const statuses = new Set(config.responseStatuses);
    const validatesStatus = (status: number) =>
      statuses.size > 0 ? statuses.has(status) : status >= 200 && status < 300;

    const request = requestValidator
      ? async (ctx: RequestContext) => {
          if (!methods.has(ctx.request.method)) return;
          if (!ctx.request.hasBody) {
            if (!config.requireBody) return;
            throw new GatewayError('validation_failed', {
              detail: 'a JSON body is required',
              errors: [{ path: '', message: 'is required' }],
            });
          }
          if (!isJsonMediaType(ctx.request.headers['content-type'])) {
            throw new GatewayError('unsupported_media_type', {
              detail: 'the request body must be JSON (application/json)',
            });
          }
          const errors = checkJson(requestValidator, await ctx.request.readBody(), config);
          if (errors.length > 0) throw new GatewayError('validation_failed', { detail: summarize(errors), errors });
        }
      : undefined;

    const response = responseValidator
      ? async (ctx: RequestContext) => {
          const { status } = ctx.response;
          // Gateway answers (errors, mocks, cache hits) are not the upstream's contract.
          if (ctx.response.fromGateway || !validatesStatus(status)) return;
          if (ctx.request.method === 'HEAD' || status === 204 || status === 304) return;
          let errors: InvalidParam[];
          if (!isJsonMediaType(String(ctx.response.headers['content-type'] ?? ''))) {
            errors = [{ path: '', message: 'is not JSON' }];
          } else {
            const declared = Number(ctx.response.headers['content-length'] ?? 0);
            if (declared > env.maxBodyBuffer) {
              // Too large to buffer: validating is impossible, and failing the exchange for our own limit is worse.
              ctx.log.warn({ policy: 'json-schema', status, size: declared }, 'response too large to validate');
              return;
            }
            const raw = await ctx.response.readBody();
            errors = checkJson(responseValidator, raw, config);
          }
          if (errors.length === 0) return;
          ctx.log.warn({ policy: 'json-schema', status, errors }, 'upstream response does not match its schema');
          // Details stay in the log: they describe the upstream's internals, not the client's mistake.
          if (config.onResponseError === 'reject') {
            throw new GatewayError('upstream_bad_response', {
              detail: 'the upstream response does not match its schema',
            });
          }
        }
      : undefined;

    return { ...(request && { request }), ...(response && { response }) };
  },
});
