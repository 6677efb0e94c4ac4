import { describe, expect, it } from 'vitest';
import { describePlan, policyContracts, securityContracts } from './catalog.js';

describe('plan limits in words (describe)', () => {
  it('says what each traffic policy promises, with defaults filled', () => {
    const words = describePlan({ type: 'api-key' }, [
      { policy: 'rate-limit', config: { limit: 100, window: '1m' } },
      { policy: 'rate-limit', config: { limit: 1, window: '30s' } },
      { policy: 'quota', config: { limit: 10000, period: 'month' } },
      { policy: 'quota', config: { limit: 50, period: 'day', timeZone: 'Europe/Paris' } },
      { policy: 'spike-arrest', config: { rate: '20/s', burst: 5 } },
      { policy: 'concurrency-limit', config: {} },
    ]);
    expect(words).toEqual([
      'API key',
      '100 requests per minute',
      '1 request per 30 seconds',
      '10,000 requests per month',
      '50 requests per day (Europe/Paris time)',
      '20 requests per second, evenly spaced, bursts of 5',
      '10 concurrent requests',
    ]);
  });

  it('names every security type, marks conditional policies, skips disabled, silent and invalid ones', () => {
    for (const [type, contract] of securityContracts) {
      expect(contract.describe, type).toBeDefined();
      expect(describePlan({ type }, []).length, type).toBe(1);
    }
    expect(describePlan({ type: 'jwt', config: { secret: 'x'.repeat(32) } }, [])).toEqual(['JWT']);
    expect(
      describePlan({ type: 'keyless' }, [
        { policy: 'rate-limit', config: { limit: 5, window: '1h' }, when: 'request.method == "POST"' },
        { policy: 'rate-limit', config: { limit: 7, window: '1h' }, enabled: false },
        { policy: 'rate-limit', config: { limit: 0, window: '1h' } },
        { policy: 'set-headers', config: { request: { set: { 'x-a': 'b' } } } },
        { policy: 'no-such-policy' },
      ]),
    ).toEqual(['No key required', '5 requests per hour (on some requests)']);
  });

  it('has words for the traffic policies a consumer must know about', () => {
    for (const name of ['rate-limit', 'quota', 'spike-arrest', 'concurrency-limit']) {
      expect(policyContracts.get(name)?.describe, name).toBeDefined();
    }
    // Not a plan policy (so never in a plan's limits), but it has words for API-level use.
    expect(policyContracts.get('request-size')?.describe?.({ max: '256kb' })).toEqual(['Request bodies up to 256 KB']);
  });
});
