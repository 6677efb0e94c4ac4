/**
 * set-attribute: stores values on ctx.attributes (literals or CEL results) for later policies,
 * conditions (`attributes.x`) and templates.
 */
import { GatewayError } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import type { Handler } from '../sdk/types.js';
import { setAttributeContract } from './contract.js';
import type { SetAttributeConfig } from './schema.js';

export const setAttributePolicy = definePolicy<SetAttributeConfig>({
  ...setAttributeContract,
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
