import { GatewayError } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import { compileTemplate } from '../sdk/expression.js';
import { dynamicRoutingContract } from './contract.js';
import type { DynamicRoutingConfig } from './schema.js';
import { checkUrl, hostMatcher } from './target-url.js';

export const dynamicRoutingPolicy = definePolicy<DynamicRoutingConfig>({
  ...dynamicRoutingContract,
  create(config, env) {
    const allowed = hostMatcher(config.allowedHosts);
    const rules = config.rules.map((rule, i) => {
      try {
        const url = compileTemplate(rule.url);
        // A fixed URL can be checked now instead of on every request.
        if (!url.dynamic) {
          const checked = checkUrl(rule.url, allowed);
          if ('problem' in checked) throw new Error(`url ${checked.problem}`);
        }
        return { when: env.compileExpression(rule.when), url };
      } catch (error) {
        throw new Error(`rules[${i}]: ${(error as Error).message}`);
      }
    });

    return {
      request(ctx) {
        for (const [i, rule] of rules.entries()) {
          if (!rule.when.test(ctx)) continue;
          const rendered = rule.url.render(ctx);
          const checked = checkUrl(rendered, allowed);
          if ('problem' in checked) {
            // The rendered URL may hold request data: log which rule failed and why, not the URL.
            ctx.log.warn(
              { policy: 'dynamic-routing', rule: i, problem: checked.problem },
              'rendered target URL rejected',
            );
            throw new GatewayError('bad_request', { detail: 'this request cannot be routed' });
          }
          ctx.upstream.targetUrl = rendered;
          return;
        }
        if (config.onNoMatch === 'reject')
          throw new GatewayError('no_route', { detail: 'no routing rule matches this request' });
      },
    };
  },
});
