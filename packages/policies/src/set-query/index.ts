// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
/**
 * set-query: removes, sets and appends query parameters of the forwarded request (values may be
 * `${ cel }` templates) by rewriting ctx.request.rawQuery.
 */
import { definePolicy } from '../sdk/define.js';
import { compileTemplate } from '../sdk/expression.js';
import { RawQuery } from './raw-query.js';
import { SetQueryConfig } from './schema.js';

export const setQueryPolicy = definePolicy<SetQueryConfig>({
  name: 'set-query',
  version: '1.0.0',
  category: 'transformation',
  summary: 'Removes, sets or appends query parameters of the request forwarded upstream; values may be CEL templates.',
  configSchema: SetQueryConfig,
  example: {
    policy: 'set-query',
    config: { remove: ['api_key'], set: { tenant: '${ context.application }' }, add: { source: 'gateway' } },
  },
  phases: ['request'],
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
