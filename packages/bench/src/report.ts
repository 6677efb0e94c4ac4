/** Summaries and the plain-text tables the benchmarks print. */
import type { LoadResult } from './load.js';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function summarize(list: LoadResult[]): LoadResult {
  return {
    rps: median(list.map((r) => r.rps)),
    p50: median(list.map((r) => r.p50)),
    p99: median(list.map((r) => r.p99)),
    requests: list.reduce((n, r) => n + r.requests, 0),
    cpuUsPerRequest: list.every((r) => r.cpuUsPerRequest !== undefined)
      ? median(list.map((r) => r.cpuUsPerRequest!))
      : undefined,
    errors: list.reduce((n, r) => n + r.errors, 0),
  };
}

export function fmt(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
}
