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
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(matcher.match('/files/xyz.json')?.params).toEqual({ a: 'x', b: 'y', c: 'z' });
  });
});
