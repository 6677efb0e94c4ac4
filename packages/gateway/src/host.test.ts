import { describe, expect, it } from 'vitest';
import { isValidAuthority } from './host.js';

describe('isValidAuthority', () => {
  it.each([
    'api.example.com',
    'api.example.com:8443',
    'localhost',
    '127.0.0.1',
    '127.0.0.1:80',
    '[::1]',
    '[::1]:8080',
    '[2001:db8::1]:443',
    'xn--bcher-kva.example',
  ])('accepts %s', (value) => {
    expect(isValidAuthority(value)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    [':80', 'no host'],
    ['a.test:', 'empty port'],
    ['a.test:99999', 'port out of range'],
    ['a.test:8o', 'non-numeric port'],
    ['a.test/evil', 'a path'],
    ['user@a.test', 'userinfo'],
    ['a.test evil', 'a space'],
    ['a.test,b.test', 'a list'],
    ['[::1', 'unclosed literal'],
    ['[::1]x', 'junk after a literal'],
    ['[zz::1]', 'not an IP literal'],
    ['a.test:80:80', 'two ports'],
    ['<script>', 'markup'],
    [`${'a'.repeat(256)}`, 'longer than 255'],
  ])('refuses %s (%s)', (value) => {
    expect(isValidAuthority(value)).toBe(false);
  });
});
