import { defineSecurityContract } from '../sdk/define.js';
import { KeylessConfig } from './schema.js';

export const keylessContract = defineSecurityContract<KeylessConfig>({
  type: 'keyless',
  version: '1.0.0',
  summary:
    'Open plan: requests need no credential and are served without a subscription (rate limits key on client IP).',
  configSchema: KeylessConfig,
  describe: () => ['No key required'],
  example: { type: 'keyless' },
  priority: 1000,
});
