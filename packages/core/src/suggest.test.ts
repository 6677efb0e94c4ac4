import { describe, expect, it } from 'vitest';
import { closestMatch, didYouMean } from './suggest.js';

describe('closestMatch', () => {
  it('suggests the closest plausible candidate', () => {
    expect(closestMatch('windw', ['limit', 'window', 'key'])).toBe('window');
    expect(closestMatch('rate-limt', ['rate-limit', 'quota'])).toBe('rate-limit');
    expect(closestMatch('apikey', ['api-key', 'jwt'])).toBe('api-key');
    expect(closestMatch('Window', ['window'])).toBe('window');
  });

  it('stays silent when nothing is close', () => {
    expect(closestMatch('zzzzzz', ['limit', 'window'])).toBeUndefined();
    expect(didYouMean('basic-auth', ['api-key', 'jwt', 'keyless', 'mtls', 'oauth2'])).toBe('');
    expect(didYouMean('jwr', ['jwt'])).toBe(' (did you mean "jwt"?)');
  });
});
