import { definePolicyContract } from '../sdk/define.js';
import type { ConfigIssue } from '../sdk/types.js';
import { hashKind } from './hash-format.js';
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
  // Hash formats and duplicate users are refused where the config is written; the messages never echo a hash.
  check(config) {
    const issues: ConfigIssue[] = [];
    const seen = new Set<string>();
    (config.credentials ?? []).forEach(({ username, passwordHash }, index) => {
      if (!hashKind(passwordHash))
        issues.push({
          path: `credentials[${index}].passwordHash`,
          message: 'not a bcrypt ($2a$/$2b$/$2y$) or argon2 ($argon2id$...) hash; plaintext passwords are refused',
        });
      if (seen.has(username))
        issues.push({ path: `credentials[${index}].username`, message: `"${username}" is listed twice` });
      seen.add(username);
    });
    return issues;
  },
});
