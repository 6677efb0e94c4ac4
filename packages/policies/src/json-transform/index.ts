/**
 * json-transform: reshapes a JSON request or response body with a JSONata expression compiled once
 * at load. Evaluation is bounded in time and depth. Non-JSON and empty bodies pass through.
 */
import { GatewayError, parseDuration } from '@gatehouse/core';
import jsonata from 'jsonata';
import { isJsonMediaType, messageBody, resolveBodyLimit } from '../sdk/body-message.js';
import { definePolicy } from '../sdk/define.js';
import { jsonNestingExceeds } from '../sdk/nesting-depth.js';
import type { Handler, RequestContext } from '../sdk/types.js';
import { jsonTransformContract } from './contract.js';
import { re2EngineFor } from './regex-engine.js';
import type { JsonTransformConfig } from './schema.js';

/** JSONata error codes of its own guards. */
const TIMED_OUT = 'D1012';
const TOO_DEEP = 'D1011';

export const jsonTransformPolicy = definePolicy<JsonTransformConfig>({
  ...jsonTransformContract,
  create(config, env) {
    const maxBytes = resolveBodyLimit(config.maxBodySize, env);
    const timeoutMs = parseDuration(config.timeout);
    let expression: jsonata.Expression;
    try {
      expression = jsonata(config.expression);
    } catch (error) {
      const { message, position } = error as { message?: string; position?: number };
      throw new Error(`invalid JSONata expression at position ${position ?? 0}: ${message ?? String(error)}`);
    }
    // Regex literals run on RE2; a pattern RE2 refuses fails the load here.
    const RegexEngine = re2EngineFor(expression, 'expression') as unknown as RegExpConstructor;
    expression = jsonata(config.expression, { timeout: timeoutMs, stack: config.maxDepth, RegexEngine });

    const bindingsOf = (ctx: RequestContext): Record<string, unknown> => {
      const activation = ctx.celActivation();
      const bindings: Record<string, unknown> = {
        request: activation.request,
        context: activation.context,
        attributes: ctx.attributes,
        claims: ctx.claims ?? {},
      };
      if (config.phase === 'response')
        bindings.response = { status: ctx.response.status, headers: { ...ctx.response.headers } };
      return bindings;
    };

    const handler: Handler = async (ctx) => {
      const message = messageBody(ctx, config.phase, maxBytes);
      if (!isJsonMediaType(message.mediaType) || message.gatewayProblem) return;
      const body = await message.read();
      if (body.length === 0) return;
      const text = body.toString('utf8');
      if (jsonNestingExceeds(text, config.maxBodyDepth))
        throw message.malformed(`The ${config.phase} body nests deeper than ${config.maxBodyDepth} levels.`);
      let input: unknown;
      try {
        input = JSON.parse(text);
      } catch {
        throw message.malformed(
          config.phase === 'request'
            ? 'The request body is not valid JSON.'
            : 'The upstream response is not valid JSON.',
        );
      }
      let result: unknown;
      try {
        result = await expression.evaluate(input, bindingsOf(ctx));
      } catch (error) {
        const code = (error as { code?: string }).code;
        ctx.log.debug({ err: error, code }, 'json-transform evaluation failed');
        const detail =
          code === TIMED_OUT
            ? `The transformation took longer than ${config.timeout}.`
            : code === TOO_DEEP
              ? 'The transformation nested too deeply.'
              : 'The transformation failed.';
        throw new GatewayError('policy_error', { detail });
      }
      message.write(JSON.stringify(result) ?? 'null', config.contentType);
    };
    return config.phase === 'request' ? { request: handler } : { response: handler, readsResponseBody: true };
  },
});
