import { describe, expect, it } from 'vitest';
import { isPlainPath, normalizePath } from './path-normalize.js';

/** Hostile and ordinary paths: what each becomes, or why it is refused (a fragment of the reason). */
const TABLE: Array<[input: string, expected: string | { refused: string }]> = [
  // plain paths pass unchanged
  ['/', '/'],
  ['/orders/42', '/orders/42'],
  ['/orders/42/', '/orders/42/'],
  ['/.well-known/jwks.json', '/.well-known/jwks.json'],
  ['/files/a...b/...', '/files/a...b/...'],
  // dot segments, raw and encoded, resolved before routing
  ['/orders/../admin', '/admin'],
  ['/orders/./items', '/orders/items'],
  ['/orders/..', '/'],
  ['/orders/items/.', '/orders/items/'],
  ['/../../etc/passwd', '/etc/passwd'],
  ['/orders/%2e%2e/admin', '/admin'],
  ['/orders/%2E./admin', '/admin'],
  ['/orders/.%2e/admin', '/admin'],
  // merged slashes
  ['//admin', '/admin'],
  ['/orders//items///', '/orders/items/'],
  // escapes: unreserved decoded, the rest kept upper-case
  ['/orders/%61%62c', '/orders/abc'],
  ['/orders/a%3bb', '/orders/a%3Bb'],
  ['/orders/a%20b', '/orders/a%20b'],
  ['/orders/caf%c3%a9', '/orders/caf%C3%A9'],
  ['/orders/%2541', '/orders/%2541'],
  // raw non-ASCII becomes UTF-8 escapes
  ['/orders/caf\u00e9', '/orders/caf%E9'],
  // matrix parameters on ordinary segments stay
  ['/orders;jsessionid=1/items', '/orders;jsessionid=1/items'],
  // refused: path parameters on dot segments (Tomcat, Spring resolve `..;/` as `../`)
  ['/orders/..;/admin', { refused: 'path parameters' }],
  ['/orders/.;x/admin', { refused: 'path parameters' }],
  ['/orders/%2e%2e;/admin', { refused: 'path parameters' }],
  // refused: full-width and look-alike dots (IIS best-fit mapping)
  ['/orders/%ef%bc%8e%ef%bc%8e/admin', { refused: 'look-alike dots' }],
  ['/orders/\uff0e\uff0e/admin', { refused: 'look-alike dots' }],
  ['/orders/.%ef%bc%8e/admin', { refused: 'look-alike dots' }],
  ['/orders/%e2%80%a4/admin', { refused: 'look-alike dots' }],
  // refused: double encoding meant for a second decoder
  ['/orders/%252e%252e/admin', { refused: 'double-encoded' }],
  ['/orders%252fadmin', { refused: 'double-encoded' }],
  ['/orders/%25%32e', { refused: 'double-encoded' }],
  // refused by default: escaped slashes and backslashes
  ['/orders%2fadmin', { refused: 'encoded slashes' }],
  ['/orders%2F..%2Fadmin', { refused: 'encoded slashes' }],
  ['/orders%5cadmin', { refused: 'encoded slashes' }],
  ['/orders\\..\\admin', { refused: 'backslashes' }],
  // refused: control characters, raw or encoded, and broken escapes
  ['/orders/%00', { refused: 'control' }],
  ['/orders/a%0d%0aSet-Cookie:x', { refused: 'control' }],
  ['/orders/\u0000', { refused: 'control' }],
  ['/orders/%7f', { refused: 'control' }],
  ['/orders/%zz', { refused: 'malformed' }],
  ['/orders/%4', { refused: 'malformed' }],
];

describe('normalizePath', () => {
  it.each(TABLE)('%s', (input, expected) => {
    const result = normalizePath(input);
    if (typeof expected === 'string') expect(result).toEqual({ ok: true, path: expected });
    else {
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.reason).toContain(expected.refused);
    }
  });

  it('keeps escaped slashes and backslashes escaped when configured to', () => {
    expect(normalizePath('/orders%2fadmin', 'keep')).toEqual({ ok: true, path: '/orders%2Fadmin' });
    expect(normalizePath('/a\\b', 'keep')).toEqual({ ok: true, path: '/a%5Cb' });
    // kept escaped, they are not separators: no dot segment resolves across them
    expect(normalizePath('/orders/..%2fadmin', 'keep')).toEqual({ ok: true, path: '/orders/..%2Fadmin' });
  });

  it('is idempotent on what it produces', () => {
    for (const [input, expected] of TABLE) {
      if (typeof expected !== 'string') continue;
      expect(normalizePath(normalizePath(input).ok ? expected : input)).toEqual({ ok: true, path: expected });
    }
  });

  it('recognises plain paths in one scan', () => {
    expect(isPlainPath('/orders/42')).toBe(true);
    expect(isPlainPath('/.well-known/x')).toBe(true);
    expect(isPlainPath('/orders/..')).toBe(false);
    expect(isPlainPath('/orders/./x')).toBe(false);
    expect(isPlainPath('/a//b')).toBe(false);
    expect(isPlainPath('/a;b')).toBe(false);
    expect(isPlainPath('/a%41')).toBe(false);
  });
});
