import { attempt } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import type { ConfigIssue } from '../sdk/types.js';
import { compileOrigins } from './origins.js';
import { CorsConfig } from './schema.js';

export const corsContract = definePolicyContract<CorsConfig>({
  name: 'cors',
  version: '1.0.0',
  category: 'security',
  summary:
    'Answers CORS preflights at the gateway (before security) and adds Access-Control-* headers for allowed origins, including wildcard subdomains.',
  configSchema: CorsConfig,
  example: {
    policy: 'cors',
    config: {
      origins: ['https://app.example.com', 'https://*.example.com'],
      credentials: true,
      exposeHeaders: ['x-request-id'],
    },
  },
  scopes: ['global', 'api', 'route'],
  phases: ['preSecurity', 'response'],
  check(config) {
    const issues: ConfigIssue[] = [];
    config.origins.forEach((origin, i) => {
      attempt(issues, `origins[${i}]`, () => compileOrigins([origin]));
    });
    if (config.credentials && config.origins.some((o) => o.trim() === '*')) {
      issues.push({
        path: 'credentials',
        message: 'credentials need listed origins: with `*` every site could call with the visitor’s cookies',
      });
    }
    return issues.map((issue) => ({ ...issue, message: issue.message.replace(/^origins: /, '') }));
  },
});
