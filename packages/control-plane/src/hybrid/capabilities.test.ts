import type { Api } from '@gatehouse/config';
import { describe, expect, it } from 'vitest';
import { missingCapabilities, requiredCapabilities } from './capabilities.js';

const api: Api = {
  id: 'orders',
  name: 'Orders',
  basePath: '/orders',
  upstream: { targets: [{ url: 'http://127.0.0.1:9' }] },
  policies: [{ policy: 'cors', config: {} }],
  routes: [{ path: '/items', policies: [{ policy: 'cache', config: {} }] }],
  plans: [
    { id: 'gold', security: { type: 'api-key' }, policies: [{ policy: 'rate-limit', config: {} }] },
    { id: 'jwt', security: { type: 'jwt' } },
  ],
};

describe('capabilities', () => {
  it('collects policies from the API, its routes and plans, and security types from plans', () => {
    const required = requiredCapabilities(api);
    expect([...required.policies].sort()).toEqual(['cache', 'cors', 'rate-limit']);
    expect([...required.security].sort()).toEqual(['api-key', 'jwt']);
  });

  it('names what a gateway lacks, by kind', () => {
    const reported = [
      { name: 'cors', version: '1.0.0', kind: 'policy' },
      { name: 'cache', version: '1.0.0', kind: 'policy' },
      { name: 'api-key', version: '1.0.0', kind: 'security' },
      // A policy named like a security type does not count as one.
      { name: 'jwt', version: '1.0.0', kind: 'policy' },
    ];
    expect(missingCapabilities(requiredCapabilities(api), reported)).toEqual([
      'policy "rate-limit"',
      'security type "jwt"',
    ]);
  });
});
