import { silentLogger } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { apiKeySecurity } from '../api-key/index.js';
import { validatePolicyConfig } from '../sdk/define.js';
import { compileExpression } from '../sdk/expression.js';
import type { SecurityEnvironment } from '../sdk/types.js';
import { MemoryResponseCacheStore } from '../stores/memory-cache.js';
import { MemoryCounterStore } from '../stores/memory-counters.js';
import { createTestContext } from '../testing/context.js';
import { keylessSecurity } from './index.js';

const env: SecurityEnvironment = {
  apiId: 'status',
  planIds: ['open'],
  lookup: {
    apiKey: () => undefined,
    clientId: () => undefined,
    certificate: () => undefined,
    application: () => undefined,
  },
  logger: silentLogger(),
  counters: new MemoryCounterStore(),
  responseCache: new MemoryResponseCacheStore(),
  compileExpression,
  resolvePath: (p) => p,
  maxBodyBuffer: 1 << 20,
};

describe('keyless security', () => {
  it('admits every request anonymously', async () => {
    const scheme = keylessSecurity.create(validatePolicyConfig(keylessSecurity, undefined, 'security.config'), env);
    expect(await scheme.authenticate(createTestContext())).toEqual({ anonymous: true });
    expect(await scheme.authenticate(createTestContext({ headers: { authorization: 'Bearer x' } }))).toEqual({
      anonymous: true,
    });
  });

  it('runs after every other scheme and takes no settings', () => {
    expect(keylessSecurity.priority).toBeGreaterThan(apiKeySecurity.priority);
    expect(() => validatePolicyConfig(keylessSecurity, { header: 'x' }, 'security.config')).toThrow();
  });
});
