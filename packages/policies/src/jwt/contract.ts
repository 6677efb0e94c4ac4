import { defineSecurityContract } from '../sdk/define.js';
import type { ConfigIssue } from '../sdk/types.js';
import { type JwtConfig, JwtConfigSchema } from './schema.js';

export const jwtContract = defineSecurityContract<JwtConfig>({
  type: 'jwt',
  version: '1.0.0',
  summary:
    'Bearer JWTs verified at the gateway (inline key or JWK Set URL); the client claim selects the subscription.',
  configSchema: JwtConfigSchema,
  describe: () => ['JWT'],
  example: {
    type: 'jwt',
    config: {
      jwksUrl: 'https://idp.example.com/.well-known/jwks.json',
      issuer: 'https://idp.example.com/',
      audience: 'orders-api',
      forwardClaims: { sub: 'x-user-id' },
    },
  },
  priority: 10,
  check(config) {
    const issues: ConfigIssue[] = [];
    if (config.secret !== undefined && config.secretEnv !== undefined)
      issues.push({ path: 'secretEnv', message: 'set either secret or secretEnv, not both' });
    const sources = [config.secret ?? config.secretEnv, config.publicKey, config.jwksUrl].filter(
      (s) => s !== undefined,
    );
    if (sources.length !== 1)
      issues.push({ path: '', message: 'set exactly one of secret (or secretEnv), publicKey, jwksUrl' });
    return issues;
  },
});
