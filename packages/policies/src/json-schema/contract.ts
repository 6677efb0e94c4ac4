import { definePolicyContract } from '../sdk/define.js';
import { type JsonSchemaConfig, JsonSchemaConfigSchema } from './schema.js';

export const jsonSchemaContract = definePolicyContract<JsonSchemaConfig>({
  name: 'json-schema',
  version: '1.0.0',
  category: 'validation',
  summary: 'Validates JSON request bodies (and optionally upstream responses) against a JSON Schema.',
  configSchema: JsonSchemaConfigSchema,
  example: {
    policy: 'json-schema',
    config: {
      schema: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } },
    },
  },
  phases: ['request', 'response'],
});
