import { definePolicyContract } from '../sdk/define.js';
import { type JsonThreatProtectionConfig, JsonThreatProtectionConfigSchema } from './schema.js';

export const jsonThreatProtectionContract = definePolicyContract<JsonThreatProtectionConfig>({
  name: 'json-threat-protection',
  version: '1.0.0',
  category: 'security',
  summary:
    'Rejects JSON bodies that exceed depth, key, string, array, object or size limits, with a single-pass scanner.',
  configSchema: JsonThreatProtectionConfigSchema,
  example: { policy: 'json-threat-protection', config: { maxDepth: 10, maxArraySize: 500, maxSize: '256kb' } },
  phases: ['request'],
});
