import { describe, expect, it } from 'vitest';
import { compileGlob, compileSafeRegex } from './safe-regex.js';

/** The classic catastrophic-backtracking pattern and 41 bytes that stall RegExp for hours. */
const EVIL = '(a+)+$';
const EVIL_INPUT = `${'a'.repeat(40)}!`;

describe('compileSafeRegex', () => {
  it('matches a catastrophic-backtracking pattern in linear time', () => {
    const re = compileSafeRegex(EVIL, 'pattern');
    const started = performance.now();
    expect(re.test(EVIL_INPUT)).toBe(false);
    expect(re.test(`${'a'.repeat(100_000)}!`)).toBe(false);
    // About a hang, not speed: a backtracking engine needs hours on this input, RE2 microseconds;
    // the bound only separates the two, on a machine under any load.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('refuses at load what RE2 cannot run, naming the config field', () => {
    expect(() => compileSafeRegex('foo(?=bar)', 'required[0].pattern')).toThrow(
      /^required\[0\]\.pattern: not a valid RE2 regular expression .*lookaround/,
    );
    expect(() => compileSafeRegex('(a)\\1', 'pattern')).toThrow(/^pattern: /);
    expect(() => compileSafeRegex('(', 'pattern')).toThrow(/^pattern: /);
  });

  it('reports groups and returns RegExp-shaped matches', () => {
    const re = compileSafeRegex('^/users/(?<id>[^/]+)/(\\w+)$', 'pattern');
    expect(re.groupCount).toBe(2);
    expect([...re.groupNames]).toEqual(['id']);
    const match = re.exec('/users/42/orders')!;
    expect([match[0], match[1], match[2], match.index, match.groups?.id]).toEqual([
      '/users/42/orders',
      '42',
      'orders',
      0,
      '42',
    ]);
    expect(re.exec('/nope')).toBeNull();
  });

  it('searches from an offset', () => {
    const re = compileSafeRegex('a(\\d)', 'pattern');
    const first = re.execFrom('a1 a2', 0)!;
    expect([first[1], first.index]).toEqual(['1', 0]);
    const second = re.execFrom('a1 a2', 2)!;
    expect([second[1], second.index]).toEqual(['2', 3]);
    expect(re.execFrom('a1 a2', 5)).toBeNull();
  });

  it('replaces like String.prototype.replace, or literally', () => {
    const re = compileSafeRegex('(\\w+)@(?<host>\\w+)', 'find');
    expect(re.replace('a@b c@d', '$<host>/$1 [$&] $$', { all: true })).toBe('b/a [a@b] $ d/c [c@d] $');
    expect(re.replace('a@b c@d', '$1', { all: false })).toBe('a c@d');
    expect(re.replace('a@b', '$1', { all: true, literal: true })).toBe('$1');
  });

  it('honours ignoreCase, multiline and dotAll', () => {
    expect(compileSafeRegex('abc', 'p', { ignoreCase: true }).test('ABC')).toBe(true);
    expect(compileSafeRegex('^b$', 'p').test('a\nb')).toBe(false);
    expect(compileSafeRegex('^b$', 'p', { multiline: true }).test('a\nb')).toBe(true);
    expect(compileSafeRegex('a.b', 'p').test('a\nb')).toBe(false);
    expect(compileSafeRegex('a.b', 'p', { dotAll: true }).test('a\nb')).toBe(true);
  });
});

describe('compileGlob', () => {
  it('anchors and quotes everything but the stars', () => {
    const re = compileGlob('application/*+json', '[^/;]*', 'contentTypes[0]');
    expect(re.test('application/problem+json')).toBe(true);
    expect(re.test('application/json')).toBe(false);
    expect(compileGlob('a.b', 'x', 'f').test('aXb')).toBe(false);
  });
});
