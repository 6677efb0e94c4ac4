import type { ValidateFunction } from 'ajv';
import type { PolicyEnvironment } from '../sdk/types.js';
import { createAjv, dialectOf } from './ajv.js';
import { loadSchema } from './load-document.js';
import { checkSchema } from './schema-check.js';

/**
 * Loads and compiles a body schema once, at load time. A broken schema is a config error naming where:
 * unknown keywords and patterns RE2 refuses with their JSON pointer, then whatever Ajv refuses.
 */
export function compileBodySchema(source: unknown, env: PolicyEnvironment, field: string): ValidateFunction {
  const schema = loadSchema(source, (p) => env.resolvePath(p), field);
  const dialect = dialectOf(schema);
  const ajv = createAjv(dialect);
  const { problems } = checkSchema(ajv, schema, '', { refOverridesSiblings: dialect === 'draft-07' });
  if (problems.length > 0) throw new Error(problems.map((p) => `${field}#${p}`).join('; '));
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw new Error(`${field}: invalid JSON Schema: ${(error as Error).message}`);
  }
}
