import { attempt } from '../sdk/check.js';
import { definePolicyContract } from '../sdk/define.js';
import type { ConfigIssue, PolicyEnvironment } from '../sdk/types.js';
import { compileBodySchema } from './compile-schema.js';
import { type JsonSchemaConfig, JsonSchemaConfigSchema } from './schema.js';

// Inline schemas need no environment; a schema given as a file path is checked where the file is (gateway).
const NO_FILES = {
  resolvePath() {
    throw new Error('file references are resolved by the gateway');
  },
} as unknown as PolicyEnvironment;

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
  // Compiles inline schemas exactly as create() does (unknown keywords, RE2 patterns, Ajv), so a schema
  // accepted where it is written loads on every gateway.
  check(config) {
    const issues: ConfigIssue[] = [];
    if (config.schema === undefined && config.responseSchema === undefined)
      issues.push({ path: '', message: 'set `schema` (request body), `responseSchema` or both' });
    for (const field of ['schema', 'responseSchema'] as const) {
      const source = config[field];
      if (source === undefined || typeof source === 'string') continue;
      attempt(issues, field, () => compileBodySchema(source, NO_FILES, field));
    }
    return issues.map((issue) => ({
      ...issue,
      message: issue.message.replace(new RegExp(`^${issue.path}(: )?`), ''),
    }));
  },
});
