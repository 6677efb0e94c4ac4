import { describe, expect, it } from 'vitest';
import { createTestContext } from '../testing/context.js';
import { claimValue, forwardClaims, loggableUrl, readToken } from './bearer.js';

describe('bearer helpers', () => {
  it('reads the scheme case-insensitively and ignores other schemes and empty tokens', () => {
    const read = (authorization: string) => readToken(createTestContext({ headers: { authorization } }), {});
    expect(read('bearer abc')).toEqual({ token: 'abc', from: 'header' });
    expect(read('BEARER   abc  ')).toEqual({ token: 'abc', from: 'header' });
    expect(read('Bearer ')).toBeUndefined();
    expect(read('Bearerabc')).toBeUndefined();
    expect(read('Basic abc')).toBeUndefined();
  });

  it('prefers exact claim names (URIs have dots) over dotted paths', () => {
    const claims = { 'https://example.com/roles': ['a'], realm: { roles: ['b'] } };
    expect(claimValue(claims, 'https://example.com/roles')).toEqual(['a']);
    expect(claimValue(claims, 'realm.roles')).toEqual(['b']);
    expect(claimValue(claims, 'realm.missing.deeper')).toBeUndefined();
    expect(claimValue(claims, 'constructor')).toBeUndefined();
  });

  it('never forwards a header value that could split the request, and always drops client copies', () => {
    const ctx = createTestContext({ headers: { 'x-user': 'spoofed', 'x-n': 'spoofed' } });
    forwardClaims(ctx, { sub: 'x-user', n: 'x-n', absent: 'x-absent' }, { sub: 'evil\r\nx-admin: 1', n: 7 });
    expect(ctx.request.headers['x-user']).toBeUndefined();
    expect(ctx.request.headers['x-n']).toBe('7');
    expect(ctx.request.headers['x-absent']).toBeUndefined();
  });

  it('drops credentials from URLs before they are logged', () => {
    expect(loggableUrl('https://user:pass@idp.example.com/jwks?token=abc')).toBe('https://idp.example.com/jwks');
  });
});
