// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
/**
 * set-query: removes, sets and appends query parameters of the forwarded request (values may be
 * `${ cel }` templates) by rewriting ctx.request.rawQuery.
 */
import { definePolicy } from '../sdk/define.js';
import { compileTemplate } from '../sdk/expression.js';
import { setQueryContract } from './contract.js';
import { RawQuery } from './raw-query.js';
import type { SetQueryConfig } from './schema.js';

export const setQueryPolicy = definePolicy<SetQueryConfig>({
  ...setQueryContract,
  create(config) {
    const compile = (values: Record<string, string>) =>
      Object.entries(values).map(([name, value]) => ({ name, template: compileTemplate(value) }));
    const sets = compile(config.set);
    const adds = compile(config.add);
    return {
      request(ctx) {
        const query = new RawQuery(ctx.request.rawQuery);
        for (const name of config.remove) query.remove(name);
        // Rendered before any change so templates read the query as the client sent it.
        const activation = ctx.celActivation();
        const setValues = sets.map(({ name, template }) => [name, template.renderWith(activation)] as const);
        const addValues = adds.map(({ name, template }) => [name, template.renderWith(activation)] as const);
        for (const [name, value] of setValues) query.set(name, value);
        for (const [name, value] of addValues) query.add(name, value);
        ctx.request.rawQuery = query.toString();
      },
    };
  },
});
