import { describe, expect, it } from 'vitest';
import { logLevelFromEnv } from './logger.js';
import { formatPrettyLine, logFormat } from './pretty-log.js';

describe('log format', () => {
  it('is JSON unless stdout is a terminal or LOG_FORMAT=pretty', () => {
    expect(logFormat({}, false)).toBe('json');
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({ LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
    expect(logFormat({ LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(() => logFormat({ LOG_FORMAT: 'xml' }, false)).toThrow('LOG_FORMAT must be json or pretty, got "xml"');
  });

  it('checks LOG_LEVEL', () => {
    expect(logLevelFromEnv(undefined)).toBe('info');
    expect(logLevelFromEnv('WARN')).toBe('warn');
    expect(() => logLevelFromEnv('verbose')).toThrow('LOG_LEVEL must be one of');
  });

  it('turns a JSON line into a readable one: time, level, source, message, fields, error stack', () => {
    const line = JSON.stringify({
      level: 40,
      time: '2026-03-01T10:04:05.123Z',
      service: 'gatehouse',
      component: 'gateway',
      msg: 'config refused',
      apis: 2,
      problems: [{ path: 'apis[0]', message: 'bad' }],
      err: { message: 'boom', stack: 'Error: boom\n    at x (y.js:1:1)' },
    });
    expect(formatPrettyLine(line, false)).toBe(
      '10:04:05.123 WARN  gatehouse/gateway  config refused  apis=2 problems=[{"path":"apis[0]","message":"bad"}]\n' +
        '    Error: boom\n        at x (y.js:1:1)\n',
    );
    expect(formatPrettyLine(line, true)).toContain('\u001b[33mWARN \u001b[0m');
    expect(formatPrettyLine('not json', false)).toBe('not json\n');
  });
});
