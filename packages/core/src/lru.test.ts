import { describe, expect, it } from 'vitest';
import { LruCache } from './lru.js';

describe('LruCache', () => {
  it('evicts the least recently used entry', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.peek('a')).toBe(1);
  });

  it('keeps recency right when the most recent key is read again, deleted or re-added', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.get('a');
    cache.set('b', 2);
    cache.get('a');
    cache.get('a');
    cache.set('c', 3);
    expect([...['a', 'b', 'c'].filter((k) => cache.peek(k) !== undefined)]).toEqual(['a', 'c']);
    cache.delete('c');
    cache.set('d', 4);
    cache.get('a');
    cache.set('e', 5);
    expect([...['a', 'd', 'e'].filter((k) => cache.peek(k) !== undefined)]).toEqual(['a', 'e']);
  });

  it('bounds by weight', () => {
    const cache = new LruCache<string, string>(10, (v) => v.length);
    cache.set('a', '123456');
    cache.set('b', '123456');
    expect(cache.size).toBe(1);
    expect(cache.totalWeight).toBe(6);
    cache.set('huge', 'x'.repeat(11));
    expect(cache.peek('huge')).toBeUndefined();
  });
});
