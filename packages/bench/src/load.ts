import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pinned } from './processes.js';

const run = promisify(execFile);

export interface LoadResult {
  rps: number;
  /** Requests completed in the run. */
  requests: number;
  /** CPU time the proxy under test spent per request (microseconds), where /proc allows measuring it. */
  cpuUsPerRequest?: number;
  p50: number;
  p99: number;
  errors: number;
}

export function hasWrk(): boolean {
  return ['/usr/bin/wrk', '/usr/local/bin/wrk'].some((p) => existsSync(p));
}

/** Closed-loop throughput with wrk (or autocannon when wrk is not installed). */
export async function throughput(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  connections: number,
  cpus?: string,
): Promise<LoadResult> {
  if (hasWrk()) {
    const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency'];
    for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
    const [command, commandArgs] = pinned(cpus, 'wrk', [...args, url]);
    const { stdout } = await run(command, commandArgs, { maxBuffer: 1 << 20 });
    return parseWrk(stdout);
  }
  return autocannon(url, headers, seconds, connections);
}

/** Open-loop latency at a fixed request rate, microsecond resolution (open-loop.ts in its own process). */
export async function latencyAtRate(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  rate: number,
  cpus?: string,
): Promise<LoadResult & { p999: number; max: number }> {
  const script = fileURLToPath(new URL('./open-loop.js', import.meta.url));
  const headerArgs = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  const [command, args] = pinned(cpus, process.execPath, [script, url, String(rate), String(seconds), ...headerArgs]);
  const { stdout } = await run(command, args, { maxBuffer: 1 << 20 });
  const result = JSON.parse(stdout) as {
    received: number;
    errors: number;
    p50: number;
    p99: number;
    p999: number;
    max: number;
  };
  return {
    rps: result.received / seconds,
    requests: result.received,
    p50: result.p50,
    p99: result.p99,
    p999: result.p999,
    max: result.max,
    errors: result.errors,
  };
}

function parseWrk(out: string): LoadResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const pct = (p: string) => toMs(new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out));
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((n, v) => n + Number(v), 0) : 0);
  return { rps, requests, p50: pct('50'), p99: pct('99'), errors };
}

function toMs(match: RegExpExecArray | null): number {
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

async function autocannon(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  connections: number,
  rate?: number,
): Promise<LoadResult> {
  const require = createRequire(import.meta.url);
  const bin = path.join(path.dirname(require.resolve('autocannon/package.json')), 'autocannon.js');
  const args = [bin, '-j', '-c', String(connections), '-d', String(seconds)];
  if (rate) args.push('-R', String(rate));
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  const { stdout } = await run(process.execPath, [...args, url], { maxBuffer: 16 << 20 });
  const result = JSON.parse(stdout) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
  };
  return {
    rps: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors,
  };
}
