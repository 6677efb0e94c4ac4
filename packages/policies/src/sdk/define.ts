import { type ConfigProblem, validateAgainst } from '@gatehouse/config';
import type { PolicyContract, PolicyDefinition, SecurityContract, SecurityDefinition } from './types.js';

/** Identity helpers that give policy modules full type inference. */
export function definePolicy<Config>(definition: PolicyDefinition<Config>): PolicyDefinition<Config> {
  return definition;
}

export function defineSecurity<Config>(definition: SecurityDefinition<Config>): SecurityDefinition<Config> {
  return definition;
}

/** A config problem found while compiling a document, with its path in the document. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/**
 * Validates a policy's config against its schema (filling defaults), then runs the definition's pure
 * check, and reports problems under `path` (e.g. `apis[0].plans[0].policies[0].config`).
 */
export function validatePolicyConfig<Config>(
  definition: Pick<PolicyContract<Config>, 'configSchema' | 'check'>,
  config: unknown,
  path: string,
): Config {
  const result = validateAgainst<Config>(definition.configSchema, config ?? {}, path);
  if (!result.ok) throw new ConfigError(result.problems);
  const issues = definition.check?.(result.value) ?? [];
  if (issues.length > 0)
    throw new ConfigError(
      issues.map((issue) => ({
        path: issue.path === '' ? path : issue.path.startsWith('[') ? `${path}${issue.path}` : `${path}.${issue.path}`,
        message: issue.message,
      })),
    );
  return result.value;
}

/** Runs a factory and turns its load-time failures (bad regex, bad CEL, bad key) into ConfigErrors at `path`. */
export function createAtPath<T>(path: string, create: () => T): T {
  try {
    return create();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError([{ path, message: (error as Error).message }]);
  }
}

/** Identity helpers for the light half of a definition (contract.ts: no runtime imports). */
export function definePolicyContract<Config>(contract: PolicyContract<Config>): PolicyContract<Config> {
  return contract;
}

export function defineSecurityContract<Config>(contract: SecurityContract<Config>): SecurityContract<Config> {
  return contract;
}
