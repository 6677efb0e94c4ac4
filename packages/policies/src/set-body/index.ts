// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
/**
 * set-body: replaces the request body forwarded upstream (or the response body sent to the
 * client) with a template rendered per request. The old body is never buffered.
 * template.ts here and sdk/body-message.ts are shared with the other body-rewriting policies.
 */
import { GatewayError } from '@gatehouse/core';
import { messageBody } from '../sdk/body-message.js';
import { definePolicy } from '../sdk/define.js';
import type { Handler, RequestContext } from '../sdk/types.js';
import { setBodyContract } from './contract.js';
import type { SetBodyConfig } from './schema.js';
import { compileBodyTemplate } from './template.js';

export const setBodyPolicy = definePolicy<SetBodyConfig>({
  ...setBodyContract,
  create(config, env) {
    const template = compileBodyTemplate(config.body, config.encoding, (source) => env.compileExpression(source));
    const activationOf = (ctx: RequestContext): Record<string, unknown> =>
      config.phase === 'response'
        ? {
            ...ctx.celActivation(),
            response: { status: ctx.response.status, headers: headerStrings(ctx.response.headers) },
          }
        : ctx.celActivation();

    const handler: Handler = (ctx) => {
      // Nothing is read, so the size limit does not matter here.
      const message = messageBody(ctx, config.phase, 0);
      if (message.gatewayProblem) return;
      let body: string;
      try {
        body = template.render(activationOf(ctx));
      } catch (error) {
        ctx.log.debug({ err: error }, 'set-body template failed');
        throw new GatewayError('policy_error', { detail: 'The body template could not be rendered.' });
      }
      message.write(body, config.contentType || undefined);
    };
    return config.phase === 'request' ? { request: handler } : { response: handler };
  },
});

function headerStrings(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}
