/**
 * Plan security `keyless`: anyone may call, without a subscription. It runs after every other
 * scheme of the API, so a request that does carry a credential is matched to its plan first (and a
 * wrong credential is still a 401, not a silent downgrade to the open plan).
 */
import { defineSecurity } from '../sdk/define.js';
import { KeylessConfig } from './schema.js';

export const keylessSecurity = defineSecurity<KeylessConfig>({
  type: 'keyless',
  version: '1.0.0',
  summary:
    'Open plan: requests need no credential and are served without a subscription (rate limits key on client IP).',
  configSchema: KeylessConfig,
  example: { type: 'keyless' },
  priority: 1000,
  create() {
    return { authenticate: () => ({ anonymous: true }) };
  },
});
