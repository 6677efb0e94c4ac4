import { ConfigDocument } from './schema.js';

/** The published JSON Schema of the config document (schema/gatehouse.schema.json). */
export function configJsonSchema(): Record<string, unknown> {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...JSON.parse(JSON.stringify(ConfigDocument)) };
}
