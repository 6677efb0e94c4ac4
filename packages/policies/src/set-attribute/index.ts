/**
 * set-attribute: stores values on ctx.attributes (literals or CEL results) for later policies,
 * conditions (`attributes.x`) and templates.
 */
import { GatewayError } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import type { Handler } from '../sdk/types.js';
import { SetAttributeConfig } from './schema.js';

export const setAttributePolicy = definePolicy<SetAttributeConfig>({
  name: 'set-attribute',
  version: '1.0.0',
  category: 'transformation',
  summary: 'Sets request attributes (literals or CEL results) that later policies, conditions and templates read.',
  configSchema: SetAttributeConfig,
  example: {
    policy: 'set-attribute',
    config: {
      values: { tier: 'gold' },
      expressions: { tenant: 'claims.tenant', isMobile: 'request.headers["user-agent"].contains("Mobile")' },
    },
  },
  phases: ['preSecurity', 'request'],
  create(config, env) {
    const literals = Object.entries(config.values);
    const expressions = Object.entries(config.expressions).map(([name, source]) => ({
      name,
      expression: env.compileExpression(source),
    }));
    const handler: Handler = (ctx) => {
      for (const [name, value] of literals) ctx.attributes[name] = structuredClone(value);
      for (const { name, expression } of expressions) {
        let value: unknown;
        try {
          value = expression.evaluate(ctx);
        } catch (error) {
          ctx.log.debug({ err: error, attribute: name }, 'set-attribute expression failed');
          if (config.onError === 'skip') continue;
          throw new GatewayError('policy_error', { detail: `Attribute "${name}" could not be computed.` });
        }
        ctx.attributes[name] = value;
      }
    };
    return config.phase === 'preSecurity' ? { preSecurity: handler } : { request: handler };
  },
});
