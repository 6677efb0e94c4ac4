import { describe, expect, it } from 'vitest';
import {
  checkConfigDocument,
  checkPolicyRef,
  checkSecurity,
  describeCatalog,
  policyContracts,
  securityContracts,
} from './catalog.js';
import { policyRegistry, securityRegistry } from './registry.js';

describe('policy catalog', () => {
  it('knows every registered policy and security type, with the same contract', () => {
    expect([...policyContracts.keys()].sort()).toEqual([...policyRegistry.keys()].sort());
    expect([...securityContracts.keys()].sort()).toEqual([...securityRegistry.keys()].sort());
    for (const [name, definition] of policyRegistry) {
      const contract = policyContracts.get(name)!;
      expect(definition.version).toBe(contract.version);
      expect(definition.configSchema).toBe(contract.configSchema);
      expect(definition.check).toBe(contract.check);
    }
    for (const [type, definition] of securityRegistry) {
      expect(definition.configSchema).toBe(securityContracts.get(type)!.configSchema);
    }
    const described = describeCatalog();
    expect(described.policies.map((p) => p.name)).toContain('rate-limit');
    expect(JSON.parse(JSON.stringify(described.policies[0]!.configSchema)).type).toBe('object');
  });

  it('reports a policy reference problem at its path, with hints', () => {
    expect(
      checkPolicyRef({ policy: 'rate-limit', config: { limit: 1, window: '0ms' } }, 'p[0]', 'api').problems,
    ).toEqual([{ path: 'p[0].config.window', message: 'must be at least 1ms' }]);
    expect(
      checkPolicyRef({ policy: 'rate-limit', config: { limit: 1, windw: '1m' } }, 'p[0]', 'api').problems,
    ).toContainEqual({
      path: 'p[0].config.windw',
      message: 'is not a known field (did you mean "window"?)',
    });
    expect(checkPolicyRef({ policy: 'rate-limt' }, 'p[0]', 'api').problems[0]!.message).toBe(
      'unknown policy "rate-limt" (did you mean "rate-limit"?)',
    );
    expect(checkPolicyRef({ policy: 'zzz' }, 'p[0]', 'api').problems[0]!.message).toMatch(
      /^unknown policy "zzz"; known: /,
    );
    expect(checkPolicyRef({ policy: 'cors', when: 'request.' }, 'p[0]', 'api').problems[0]!.path).toBe('p[0].when');
    expect(
      checkPolicyRef({ policy: 'rate-limit', enabled: false, config: { nope: 1 } }, 'p[0]', 'api').problems,
    ).toEqual([]);
    const ok = checkPolicyRef({ policy: 'rate-limit', config: { limit: 1, window: '1m' } }, 'p[0]', 'api');
    expect(ok.problems).toEqual([]);
    expect(ok.config).toMatchObject({ limit: 1, window: '1m', algorithm: expect.any(String) });
  });

  it('checks plan security: known type with a hint, then its config', () => {
    expect(checkSecurity({ type: 'basic-auth' }, 's').problems[0]!.path).toBe('s.type');
    expect(checkSecurity({ type: 'jwtt' }, 's').problems[0]!.message).toContain('(did you mean "jwt"?)');
    expect(
      checkSecurity({ type: 'oauth2', config: { introspectionUrl: 'http://x', clientId: 'c' } }, 's').problems,
    ).toEqual([{ path: 's.config', message: 'set exactly one of clientSecret, clientSecretEnv' }]);
  });

  it('reports schema, reference and policy problems of a document in one pass', () => {
    const result = checkConfigDocument({
      version: 1,
      apis: [
        {
          id: 'a',
          name: 'A',
          basePath: '/a',
          upstream: { targets: [{ url: 'http://127.0.0.1:1' }], timeouts: { connect: 'fast' } },
          plans: [
            {
              id: 'p',
              security: { type: 'keyless' },
              policies: [{ policy: 'rate-limit', config: { limit: 1, window: '1m', algoritm: 'sliding' } }],
            },
          ],
        },
      ],
      applications: [{ id: 'app', name: 'App', subscriptions: [{ api: 'a', plan: 'gold' }] }],
    });
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        'apis[0].upstream.timeouts.connect',
        'applications[0].subscriptions[0].plan',
        'apis[0].plans[0].policies[0].config.algoritm',
      ]),
    );
  });

  it('compiles mock mode as a gateway would: operations, responses and examples named must exist', () => {
    const doc = (operations: Record<string, unknown>) => ({
      version: 1,
      apis: [
        {
          id: 'a',
          name: 'A',
          basePath: '/a',
          openapi: {
            openapi: '3.1.0',
            paths: { '/pets': { get: { responses: { '200': { content: { 'application/json': { example: [] } } } } } } },
          },
          upstream: { targets: [{ url: 'http://127.0.0.1:1' }], mock: { operations } },
          plans: [{ id: 'p', security: { type: 'keyless' } }],
        },
      ],
    });
    expect(checkConfigDocument(doc({ 'GET /pets': { status: 200 } })).problems).toEqual([]);
    expect(checkConfigDocument(doc({ 'GET /pets': { status: 404 } })).problems).toEqual([
      { path: 'apis[0].upstream.mock', message: 'GET /pets: declares no response 404' },
    ]);
    expect(checkConfigDocument(doc({ 'POST /pets': {} })).problems[0]?.message).toMatch(/has no POST \/pets/);
    expect(checkConfigDocument(doc({ 'GET /pets': { example: 'x' } })).problems[0]?.message).toMatch(/no example "x"/);
  });
});
