import { defineSecurityContract } from '../sdk/define.js';
import { type OAuth2Config, OAuth2ConfigSchema } from './schema.js';

export const oauth2Contract = defineSecurityContract<OAuth2Config>({
  type: 'oauth2',
  version: '1.0.0',
  summary:
    'Bearer tokens checked by RFC 7662 introspection (cached), with scopes required per plan and per route prefix.',
  configSchema: OAuth2ConfigSchema,
  describe: () => ['OAuth 2.0 access token'],
  example: {
    type: 'oauth2',
    config: {
      introspectionUrl: 'https://idp.example.com/oauth2/introspect',
      clientId: 'gatehouse',
      clientSecretEnv: 'INTROSPECTION_SECRET',
      requiredScopes: ['orders'],
      scopes: { 'POST,PUT,DELETE /orders': ['orders:write'] },
    },
  },
  priority: 20,
  check(config) {
    return (config.clientSecret === undefined) === (config.clientSecretEnv === undefined)
      ? [{ path: '', message: 'set exactly one of clientSecret, clientSecretEnv' }]
      : [];
  },
});
