import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseSize } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1.5s', 1500],
  ])('%s = %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it('refuses strings without a unit', () => {
    expect(() => parseDuration('10')).toThrow(/unit/);
    expect(() => parseDuration('ten seconds')).toThrow();
  });

  it('formats back to the largest whole unit', () => {
    expect(formatDuration(60_000)).toBe('1m');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});

describe('parseSize', () => {
  it('parses units', () => {
    expect(parseSize('10kb')).toBe(10_240);
    expect(parseSize('1mb')).toBe(1_048_576);
    expect(parseSize(42)).toBe(42);
    expect(() => parseSize('1 tb')).toThrow();
  });
});
