import { definePolicyContract } from '../sdk/define.js';
import { type OpenApiValidationConfig, OpenApiValidationConfigSchema } from './schema.js';

export const openapiValidationContract = definePolicyContract<OpenApiValidationConfig>({
  name: 'openapi-validation',
  version: '1.0.0',
  category: 'validation',
  summary:
    "Validates requests (path, query, header and cookie parameters, and the body) against the matching operation of the API's OpenAPI 3.x document.",
  configSchema: OpenApiValidationConfigSchema,
  example: { policy: 'openapi-validation', config: { unknownOperations: 'reject' } },
  phases: ['request'],
});
