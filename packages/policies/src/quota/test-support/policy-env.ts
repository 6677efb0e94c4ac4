/** Test helpers for the traffic and transformation policies: a PolicyEnvironment with real CEL and memory stores. */
import { silentLogger } from '@gatehouse/core';
import { validatePolicyConfig } from '../../sdk/define.js';
import { compileExpression } from '../../sdk/expression.js';
import type { PolicyDefinition, PolicyEnvironment, PolicyHandlers } from '../../sdk/types.js';
import { MemoryResponseCacheStore } from '../../stores/memory-cache.js';
import { MemoryCounterStore } from '../../stores/memory-counters.js';

export function testPolicyEnv(overrides: Partial<PolicyEnvironment> = {}): PolicyEnvironment {
  return {
    scope: { kind: 'api', apiId: 'test-api', key: `test-api/policy#${Math.random().toString(36).slice(2)}` },
    logger: silentLogger(),
    counters: new MemoryCounterStore(),
    responseCache: new MemoryResponseCacheStore(),
    compileExpression,
    resolvePath: (path) => path,
    maxBodyBuffer: 1024 * 1024,
    ...overrides,
  };
}

/** Validates the config (filling defaults) and creates the handlers, as the gateway does at load. */
export function createPolicy<Config>(
  definition: PolicyDefinition<Config>,
  config: unknown,
  env: PolicyEnvironment = testPolicyEnv(),
): PolicyHandlers {
  return definition.create(validatePolicyConfig<Config>(definition, config, 'config'), env);
}
