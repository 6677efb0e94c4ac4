/** Words for limits ("10,000 requests per month"), shared by the policies' `describe()`. */

const UNITS: [ms: number, one: string, many: string][] = [
  [604_800_000, 'week', 'weeks'],
  [86_400_000, 'day', 'days'],
  [3_600_000, 'hour', 'hours'],
  [60_000, 'minute', 'minutes'],
  [1000, 'second', 'seconds'],
];

/** 12345 -> "12,345" (fixed locale: the words must not depend on the server's). */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `per minute`, `per 30 seconds`, `per 500 ms`. */
export function perDuration(ms: number): string {
  for (const [size, one, many] of UNITS) {
    if (ms >= size && ms % size === 0) return ms === size ? `per ${one}` : `per ${formatCount(ms / size)} ${many}`;
  }
  return `per ${formatCount(ms)} ms`;
}

/** `1 request` / `5 requests`. */
export function requests(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'request' : 'requests'}`;
}
