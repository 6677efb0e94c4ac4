/**
 * A readable log line for people at a terminal (`LOG_FORMAT=pretty`, or stdout is a TTY):
 * `12:04:05.123 INFO  gateway  config applied  configVersion=eb58 apis=2`. No dependency: it
 * reformats pino's JSON line, so the JSON stream (the default elsewhere) stays the one source.
 */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLORS: Record<number, string> = { 10: '90', 20: '90', 30: '32', 40: '33', 50: '31', 60: '35' };
const HIDDEN = new Set(['level', 'time', 'msg', 'service', 'name', 'component', 'pid', 'hostname', 'err']);

export type LogFormat = 'json' | 'pretty';

/** `LOG_FORMAT` when set (json or pretty), else pretty exactly when stdout is a terminal. */
export function logFormat(env: NodeJS.ProcessEnv = process.env, isTty = Boolean(process.stdout.isTTY)): LogFormat {
  const value = env.LOG_FORMAT?.trim().toLowerCase();
  if (value === 'json' || value === 'pretty') return value;
  if (value) throw new Error(`LOG_FORMAT must be json or pretty, got "${env.LOG_FORMAT}"`);
  return isTty ? 'pretty' : 'json';
}

export function formatPrettyLine(json: string, color: boolean): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const level = Number(record.level);
  const time = typeof record.time === 'string' ? record.time.slice(11, 23) : new Date().toISOString().slice(11, 23);
  const source = [record.service, record.component].filter((v) => typeof v === 'string' && v !== '').join('/');
  const fields = Object.entries(record)
    .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined)
    .map(([key, value]) => `${paint('90', `${key}=`)}${typeof value === 'string' ? value : JSON.stringify(value)}`);
  let line = `${paint('90', time)} ${paint(COLORS[level] ?? '0', (LEVELS[level] ?? String(level)).padEnd(5))} ${paint('36', source)}  ${String(record.msg ?? '')}`;
  if (fields.length > 0) line += `  ${fields.join(' ')}`;
  const err = record.err as { message?: string; stack?: string } | undefined;
  if (err) line += `\n    ${(err.stack ?? err.message ?? JSON.stringify(err)).split('\n').join('\n    ')}`;
  return `${line}\n`;
}

/** A pino destination writing pretty lines to `out`. */
export function prettyDestination(out: NodeJS.WriteStream = process.stdout): { write(line: string): void } {
  const color = Boolean(out.isTTY) && !process.env.NO_COLOR;
  return { write: (line: string) => void out.write(formatPrettyLine(line, color)) };
}
