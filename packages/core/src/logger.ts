import { type Logger, type LoggerOptions, pino } from 'pino';
import { logFormat, prettyDestination } from './pretty-log.js';

export type { Logger };

/** Paths pino blanks out wherever they appear, so secrets never reach a log line by accident. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'key',
  '*.key',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
];

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** `LOG_LEVEL` (default info), checked so a typo is one clear line rather than pino's error. */
export function logLevelFromEnv(value = process.env.LOG_LEVEL): string {
  if (value === undefined || value === '') return 'info';
  const level = value.trim().toLowerCase();
  if (!LEVELS.includes(level)) throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${value}"`);
  return level;
}

/**
 * JSON lines on stdout, or readable lines when stdout is a terminal or LOG_FORMAT=pretty (see
 * pretty-log.ts); the level comes from LOG_LEVEL.
 */
export function createLogger(options: LoggerOptions & { name: string }): Logger {
  const settings: LoggerOptions = {
    level: logLevelFromEnv(),
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...options,
  };
  return logFormat() === 'pretty' ? pino(settings, prettyDestination()) : pino(settings);
}

/** A logger that drops everything (tests, embedded use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
