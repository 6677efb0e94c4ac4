/**
 * ip-filter: refuses clients by address before security runs (so a blocked network cannot even try
 * credentials). Deny wins over allow; a non-empty allow list admits only what it lists.
 */
import { GatewayError } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import { compileAddresses } from './ranges.js';
import { IpFilterConfig } from './schema.js';

export const ipFilterPolicy = definePolicy<IpFilterConfig>({
  name: 'ip-filter',
  version: '1.0.0',
  category: 'security',
  summary: 'Allows or denies clients by IPv4/IPv6 address or CIDR range before security; deny wins; 403 ip_forbidden.',
  configSchema: IpFilterConfig,
  example: { policy: 'ip-filter', config: { allow: ['10.0.0.0/8', '2001:db8::/32'], deny: ['10.6.6.0/24'] } },
  scopes: ['global', 'api', 'route'],
  phases: ['preSecurity'],
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
