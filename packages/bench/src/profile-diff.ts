/**
 * `bench:ab --profile`: where two proxies measured in the same seconds spend their CPU, per request. Each side runs
 * with `--cpu-prof`; only samples inside the measured rounds count, and each function's self time is divided by the
 * requests that side served in them. Both sides share the core and its stalls, so the per-request difference is
 * steadier than two profiles taken one after the other (on a loaded VM the sampler's intervals stretch alike for
 * both). Shares, not absolute costs: sampling under load inflates the microseconds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Microseconds on the clock V8's profiler stamps samples with (CLOCK_MONOTONIC, like process.hrtime). */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export interface SideProfile {
  /** Self time per request, µs, by "function file". */
  perRequest: Map<string, number>;
  /** Busy (non-idle) µs per request. */
  busy: number;
}

/** Reads the one profile a side wrote into `dir` and counts samples inside `windows` ([start, end] µs). */
export function readSideProfile(dir: string, windows: [number, number][], requests: number): SideProfile {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile in ${dir} (did the process exit cleanly?)`);
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const perRequest = new Map<string, number>();
  let busy = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const previous = t;
    t += profile.timeDeltas[i]!;
    if (!windows.some(([start, end]) => t >= start && t <= end)) continue;
    const frame = frames.get(profile.samples[i]!)!;
    if (frame.functionName === '(idle)') continue;
    // A sample stands for the interval since the previous one.
    const micros = t - previous;
    busy += micros;
    const key = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}`.trimEnd();
    perRequest.set(key, (perRequest.get(key) ?? 0) + micros);
  }
  for (const [key, micros] of perRequest) perRequest.set(key, micros / requests);
  return { perRequest, busy: busy / requests };
}

function shortUrl(url: string): string {
  const at = url.search(/\/(packages|node_modules)\//);
  return at >= 0 ? url.slice(at + 1) : url.replace(/^file:\/\/.*\//, '');
}

/** The functions whose per-request self time differs most between the sides, then the totals. */
export function formatProfileDiff(a: SideProfile, b: SideProfile, top = 30): string {
  const keys = new Set([...a.perRequest.keys(), ...b.perRequest.keys()]);
  const rows = [...keys].map((key) => {
    const x = a.perRequest.get(key) ?? 0;
    const y = b.perRequest.get(key) ?? 0;
    return { key, x, y, d: y - x };
  });
  rows.sort((p, q) => Math.abs(q.d) - Math.abs(p.d));
  const lines = [
    'self time per request (µs, sampled under load: compare, do not quote as costs)',
    '    B-A       A       B  function',
  ];
  for (const r of rows.slice(0, top))
    lines.push(`${r.d.toFixed(2).padStart(7)} ${r.x.toFixed(2).padStart(7)} ${r.y.toFixed(2).padStart(7)}  ${r.key}`);
  lines.push(
    `busy per request: A ${a.busy.toFixed(1)} µs, B ${b.busy.toFixed(1)} µs, B/A ${(b.busy / a.busy).toFixed(3)}`,
  );
  return lines.join('\n');
}
