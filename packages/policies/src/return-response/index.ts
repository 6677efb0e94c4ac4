// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { definePolicy } from '../sdk/define.js';
import { compileTemplate } from '../sdk/expression.js';
import { returnResponseContract } from './contract.js';
import type { ReturnResponseConfig } from './schema.js';

export const returnResponsePolicy = definePolicy<ReturnResponseConfig>({
  ...returnResponseContract,
  create(config) {
    const headers = Object.entries(config.headers).map(([name, value]) => {
      try {
        return [name.toLowerCase(), compileTemplate(value)] as const;
      } catch (error) {
        throw new Error(`headers.${name}: ${(error as Error).message}`);
      }
    });
    let body: ReturnType<typeof compileTemplate>;
    try {
      body = compileTemplate(config.body);
    } catch (error) {
      throw new Error(`body: ${(error as Error).message}`);
    }
    return {
      request(ctx) {
        const rendered: Record<string, string> = {};
        for (const [name, template] of headers) rendered[name] = template.render(ctx);
        ctx.respond(config.status, rendered, body.render(ctx));
      },
    };
  },
});
