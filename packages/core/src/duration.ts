/** Durations in config are strings such as `500ms`, `10s`, `1m`, `1h`, `1d` (or a plain number of ms). */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d|w)$';
const DURATION_RE = new RegExp(DURATION_PATTERN);

export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`invalid duration: ${value}`);
    return value;
  }
  const match = DURATION_RE.exec(value.trim());
  if (!match) throw new RangeError(`invalid duration "${value}": use a number and a unit (ms, s, m, h, d, w)`);
  const unit = match[2]!;
  return Math.round(Number.parseFloat(value) * UNIT_MS[unit]!);
}

export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Byte sizes in config: `512`, `10kb`, `1mb`, `2gb` (binary multiples). */
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
export const SIZE_PATTERN = '^[0-9]+(b|kb|mb|gb)?$';
const SIZE_RE = /^([0-9]+)(b|kb|mb|gb)?$/i;

export function parseSize(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = SIZE_RE.exec(value.trim());
  if (!match) throw new RangeError(`invalid size "${value}": use bytes or a unit (kb, mb, gb)`);
  return Number(match[1]) * SIZE_UNITS[(match[2] ?? 'b').toLowerCase()]!;
}
