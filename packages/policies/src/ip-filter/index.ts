/**
 * ip-filter: refuses clients by address before security runs (so a blocked network cannot even try
 * credentials). Deny wins over allow; a non-empty allow list admits only what it lists.
 */
import { GatewayError } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import { ipFilterContract } from './contract.js';
import { compileAddresses } from './ranges.js';
import type { IpFilterConfig } from './schema.js';

export const ipFilterPolicy = definePolicy<IpFilterConfig>({
  ...ipFilterContract,
  create(config) {
    const allow = compileAddresses(config.allow, 'allow');
    const deny = compileAddresses(config.deny, 'deny');
    return {
      preSecurity(ctx) {
        const ip = ctx.request.clientIp;
        const refused = deny.matches(ip) || (allow.size > 0 && !allow.matches(ip));
        if (refused) throw new GatewayError('ip_forbidden');
      },
    };
  },
});
