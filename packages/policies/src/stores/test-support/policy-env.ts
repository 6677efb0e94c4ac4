/** A PolicyEnvironment for unit tests of the policies that use these stores (memory stores, silent logs). */
import { silentLogger } from '@gatehouse/core';
import { compileExpression } from '../../sdk/expression.js';
import type { PolicyEnvironment } from '../../sdk/types.js';
import { MemoryResponseCacheStore } from '../memory-cache.js';
import { MemoryCounterStore } from '../memory-counters.js';

export function testPolicyEnv(overrides: Partial<PolicyEnvironment> = {}): PolicyEnvironment {
  return {
    scope: { kind: 'plan', apiId: 'orders', planId: 'gold', key: 'orders/plan:gold/test#0' },
    logger: silentLogger(),
    counters: new MemoryCounterStore(),
    responseCache: new MemoryResponseCacheStore(),
    compileExpression,
    resolvePath: (path) => path,
    maxBodyBuffer: 1024 * 1024,
    ...overrides,
  };
}
