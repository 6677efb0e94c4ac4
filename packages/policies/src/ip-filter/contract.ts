import { attempt } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import type { ConfigIssue } from '../sdk/types.js';
import { compileAddresses } from './ranges.js';
import { IpFilterConfig } from './schema.js';

export const ipFilterContract = definePolicyContract<IpFilterConfig>({
  name: 'ip-filter',
  version: '1.0.0',
  category: 'security',
  summary: 'Allows or denies clients by IPv4/IPv6 address or CIDR range before security; deny wins; 403 ip_forbidden.',
  configSchema: IpFilterConfig,
  example: { policy: 'ip-filter', config: { allow: ['10.0.0.0/8', '2001:db8::/32'], deny: ['10.6.6.0/24'] } },
  scopes: ['global', 'api', 'route'],
  phases: ['preSecurity'],
  check(config) {
    const issues: ConfigIssue[] = [];
    // compileAddresses names the field in its message (`allow: "x" is not an IP address ...`).
    for (const field of ['allow', 'deny'] as const)
      config[field].forEach((entry, i) => {
        attempt(issues, `${field}[${i}]`, () => compileAddresses([entry], field));
      });
    return issues.map((issue) => ({ ...issue, message: issue.message.replace(/^(allow|deny): /, '') }));
  },
});
