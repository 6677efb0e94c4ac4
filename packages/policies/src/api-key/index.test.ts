import { GatewayError, hashApiKey, silentLogger } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { validatePolicyConfig } from '../sdk/define.js';
import { compileExpression } from '../sdk/expression.js';
import type { SecurityEnvironment, SubscriptionInfo } from '../sdk/types.js';
import { MemoryResponseCacheStore } from '../stores/memory-cache.js';
import { MemoryCounterStore } from '../stores/memory-counters.js';
import { createTestContext } from '../testing/context.js';
import { apiKeySecurity, removeQueryParameter } from './index.js';

const gold: SubscriptionInfo = {
  id: 'acme:orders:gold',
  apiId: 'orders',
  planId: 'gold',
  application: { id: 'acme', name: 'ACME' },
};

function scheme(rawConfig: unknown = {}) {
  const keys = new Map([[hashApiKey('acme-key-0001'), gold]]);
  const env: SecurityEnvironment = {
    apiId: 'orders',
    planIds: ['gold'],
    lookup: {
      apiKey: (hash) => keys.get(hash),
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
  return apiKeySecurity.create(validatePolicyConfig(apiKeySecurity, rawConfig, 'security.config'), env);
}

describe('api-key security', () => {
  it('authenticates a known key from X-Api-Key and strips it before forwarding', async () => {
    const ctx = createTestContext({ headers: { 'x-api-key': 'acme-key-0001', accept: 'text/plain' } });
    const outcome = await scheme().authenticate(ctx);
    expect(outcome).toEqual({ subscription: gold, principal: 'acme' });
    expect(ctx.request.headers['x-api-key']).toBeUndefined();
    expect(ctx.request.headers.accept).toBe('text/plain');
  });

  it('answers 401 unauthorized for an unknown key, without echoing it', async () => {
    const outcome = await scheme().authenticate(createTestContext({ headers: { 'x-api-key': 'stolen-or-revoked' } }));
    expect(outcome && 'error' in outcome).toBe(true);
    const error = (outcome as { error: GatewayError }).error;
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.code).toBe('unauthorized');
    expect(error.status).toBe(401);
    expect(JSON.stringify(error.toProblem())).not.toContain('stolen-or-revoked');
  });

  it('returns undefined when the request has no key, so keyless can take it', async () => {
    expect(await scheme().authenticate(createTestContext())).toBeUndefined();
    expect(await scheme().authenticate(createTestContext({ headers: { 'x-api-key': '  ' } }))).toBeUndefined();
    // The query parameter is ignored unless configured.
    expect(await scheme().authenticate(createTestContext({ query: 'api_key=acme-key-0001' }))).toBeUndefined();
  });

  it('reads a custom header name case-insensitively', async () => {
    const ctx = createTestContext({ headers: { 'x-consumer-token': 'acme-key-0001' } });
    expect(await scheme({ header: 'X-Consumer-Token' }).authenticate(ctx)).toMatchObject({ subscription: gold });
    expect(ctx.request.headers['x-consumer-token']).toBeUndefined();
  });

  it('accepts the key from a configured query parameter and removes only that parameter', async () => {
    const ctx = createTestContext({ query: 'a=1&api_key=acme-key-0001&b=x%20y&api_key=again' });
    expect(await scheme({ query: 'api_key' }).authenticate(ctx)).toMatchObject({ subscription: gold });
    expect(ctx.request.rawQuery).toBe('a=1&b=x%20y');
  });

  it('prefers the header over the query parameter', async () => {
    const ctx = createTestContext({ headers: { 'x-api-key': 'wrong-key-123' }, query: 'api_key=acme-key-0001' });
    const outcome = await scheme({ query: 'api_key' }).authenticate(ctx);
    expect(outcome && 'error' in outcome).toBe(true);
    expect(ctx.request.rawQuery).toBe('');
  });

  it('rejects invalid header names in the config', () => {
    expect(() => validatePolicyConfig(apiKeySecurity, { header: 'X Api Key' }, 'security.config')).toThrow(/header/);
  });
});

describe('removeQueryParameter', () => {
  it('matches encoded names and keeps the rest verbatim', () => {
    expect(removeQueryParameter('api%5Fkey=1&q=%2F', 'api_key')).toBe('q=%2F');
    expect(removeQueryParameter('x=1', 'api_key')).toBe('x=1');
    expect(removeQueryParameter('%E0%A4%A=1&api_key=2', 'api_key')).toBe('%E0%A4%A=1');
  });
});
