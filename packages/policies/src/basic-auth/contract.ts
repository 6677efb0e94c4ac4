import { definePolicyContract } from '../sdk/define.js';
import { type BasicAuthConfig, BasicAuthConfigSchema } from './schema.js';

export const basicAuthContract = definePolicyContract<BasicAuthConfig>({
  name: 'basic-auth',
  version: '1.0.0',
  category: 'security',
  summary: 'HTTP Basic authentication against bcrypt or argon2 password hashes; 401 with a Basic challenge otherwise.',
  configSchema: BasicAuthConfigSchema,
  example: {
    policy: 'basic-auth',
    config: {
      realm: 'reports',
      credentials: [
        {
          username: 'auditor',
          passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
        },
      ],
    },
  },
  phases: ['request'],
});
