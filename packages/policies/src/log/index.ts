// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import type { OutgoingHttpHeaders } from 'node:http';
import { definePolicy } from '../sdk/define.js';
import { compileTemplate } from '../sdk/expression.js';
import type { RequestContext } from '../sdk/types.js';
import { logContract } from './contract.js';
import { redactorFor } from './redact.js';
import type { LogConfig } from './schema.js';

/** Keys pino writes itself; a field with one of these names would clobber them. */
function headerStrings(headers: OutgoingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** The request's CEL activation plus what only the log phase knows: the response and the duration. */
function logActivation(ctx: RequestContext): Record<string, unknown> {
  return {
    ...ctx.celActivation(),
    response: { status: ctx.response.status, headers: headerStrings(ctx.response.headers) },
    durationMs: Math.round((performance.now() - ctx.startedAt) * 1000) / 1000,
  };
}

export const logPolicy = definePolicy<LogConfig>({
  ...logContract,
  create(config, env) {
    const fields = Object.entries(config.fields).map(([name, source]) => {
      try {
        return { name, expression: env.compileExpression(source) };
      } catch (error) {
        throw new Error(`fields.${name}: ${(error as Error).message}`);
      }
    });
    let message: ReturnType<typeof compileTemplate>;
    try {
      message = compileTemplate(config.message);
    } catch (error) {
      throw new Error(`message: ${(error as Error).message}`);
    }
    const headerNames = new Set(config.redactHeaders.map((h) => h.toLowerCase()));
    const queryNames = new Set(config.redactQueryParameters.map((q) => q.toLowerCase()));

    return {
      log(ctx) {
        const activation = logActivation(ctx);
        const redact = redactorFor(ctx, headerNames, queryNames);
        const line: Record<string, unknown> = { policy: 'log', requestId: ctx.id };
        const failed: string[] = [];
        for (const { name, expression } of fields) {
          try {
            line[name] = redact.value(expression.evaluateWith(activation));
          } catch {
            line[name] = null;
            failed.push(name);
          }
        }
        let text: string;
        try {
          text = redact.text(message.renderWith(activation));
        } catch {
          text = config.message;
          failed.push('message');
        }
        if (failed.length > 0) line.failedFields = failed;
        // All pino level methods share one signature; TypeScript cannot call the union directly.
        ctx.log[config.level as 'info'](line, text);
      },
    };
  },
});
