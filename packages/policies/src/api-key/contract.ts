import { defineSecurityContract } from '../sdk/define.js';
import { ApiKeyConfig } from './schema.js';

export const apiKeyContract = defineSecurityContract<ApiKeyConfig>({
  type: 'api-key',
  version: '1.0.0',
  summary: 'Consumers send an API key of their subscription in a header (default X-Api-Key) or a query parameter.',
  configSchema: ApiKeyConfig,
  describe: () => ['API key'],
  example: { type: 'api-key', config: { header: 'X-Api-Key' } },
  priority: 30,
});
