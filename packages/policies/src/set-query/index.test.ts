// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../sdk/define.js';
import { createTestContext } from '../testing/context.js';
import { createPolicy } from '../testing/index.js';
import { setQueryPolicy } from './index.js';
import { RawQuery } from './raw-query.js';

describe('set-query', () => {
  it('removes, sets and appends parameters, keeping untouched pairs byte for byte', async () => {
    const policy = createPolicy(setQueryPolicy, {
      remove: ['api_key'],
      set: { page: '1' },
      add: { tag: 'gateway' },
    });
    const ctx = createTestContext({ query: 'q=a%20b&api_key=secret&page=5&flag&tag=x&page=9' });
    await policy.request!(ctx);
    expect(ctx.request.rawQuery).toBe('q=a%20b&page=1&flag&tag=x&tag=gateway');
    expect(ctx.request.query.getAll('tag')).toEqual(['x', 'gateway']);
  });

  it('renders CEL templates and encodes the values', async () => {
    const policy = createPolicy(setQueryPolicy, {
      set: { user: '${ claims.sub }', greeting: 'hi ${ request.query.name }&more' },
    });
    const ctx = createTestContext({ query: 'name=Zo%C3%AB', claims: { sub: 'u/1 +x' } });
    await policy.request!(ctx);
    expect(ctx.request.rawQuery).toBe('name=Zo%C3%AB&user=u%2F1%20%2Bx&greeting=hi%20Zo%C3%AB%26more');
    expect(ctx.request.query.get('user')).toBe('u/1 +x');
  });

  it('matches names in their decoded form', async () => {
    const policy = createPolicy(setQueryPolicy, { remove: ['a b'] });
    const ctx = createTestContext({ query: 'a+b=1&a%20b=2&ab=3' });
    await policy.request!(ctx);
    expect(ctx.request.rawQuery).toBe('ab=3');
  });

  it('rejects invalid CEL at load', () => {
    expect(() => createPolicy(setQueryPolicy, { set: { x: '${ request.( }' } })).toThrow(/invalid CEL/);
    expect(() => createPolicy(setQueryPolicy, { remove: 'x' })).toThrow(ConfigError);
  });
});

describe('RawQuery', () => {
  it('leaves an empty query empty and tolerates bad percent-encoding', () => {
    expect(new RawQuery('').toString()).toBe('');
    const query = new RawQuery('%zz=1&b=2');
    query.remove('b');
    expect(query.toString()).toBe('%zz=1');
  });
});
