import { describe, expect, it } from 'vitest';
import { PathMatcher } from './path-matcher.js';

describe('PathMatcher', () => {
  it('prefers concrete segments and extracts raw parameters', () => {
    const matcher = new PathMatcher<string>();
    matcher.add('/pets/{petId}', 'one');
    matcher.add('/pets/mine', 'mine');
    expect(matcher.match('/pets/mine')?.value).toBe('mine');
    expect(matcher.match('/pets/a%20b/')).toEqual({ value: 'one', params: { petId: 'a%20b' } });
    expect(matcher.match('/pets')).toBeUndefined();
  });

  it('matches adjacent parameters against a long hostile segment in linear time', () => {
    const matcher = new PathMatcher<string>();
    matcher.add('/files/{a}{b}{c}.json', 'file');
    const started = performance.now();
    expect(matcher.match(`/files/${'a'.repeat(5_000)}.xml`)).toBeUndefined();
    // About a hang, not speed: trying every split of the 5,000 characters between three parameters
    // (millions of splits, each re-scanning) stalls for minutes; the bound only separates that from
    // a linear match, on a machine under any load.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(matcher.match('/files/xyz.json')?.params).toEqual({ a: 'x', b: 'y', c: 'z' });
  });
});
