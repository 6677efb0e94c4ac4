import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProfileDiff, readSideProfile } from './profile-diff.js';

/** A profile with three frames sampled every 100 µs from t = 1,000 µs: idle, the proxy's handler, writev. */
function writeProfile(samples: number[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'profile-diff-'));
  const frame = (id: number, functionName: string, url = '') => ({ id, callFrame: { functionName, url } });
  const profile = {
    nodes: [frame(1, '(idle)'), frame(2, 'handle', 'file:///x/packages/gateway/dist/handler.js'), frame(3, 'writev')],
    startTime: 900,
    samples,
    timeDeltas: samples.map(() => 100),
  };
  writeFileSync(path.join(dir, 'CPU.1.cpuprofile'), JSON.stringify(profile));
  return dir;
}

describe('profile diff', () => {
  it('counts busy samples inside the windows only, per request, by function and file', () => {
    // Samples at 1,000 .. 1,900 µs; the window [1,200, 1,600] holds the 3rd to 7th.
    const dir = writeProfile([2, 2, 2, 3, 1, 3, 2, 1, 3, 3]);
    const side = readSideProfile(dir, [[1200, 1600]], 10);
    expect(side.perRequest.get('handle packages/gateway/dist/handler.js')).toBe(20); // two samples of 100 µs
    expect(side.perRequest.get('writev')).toBe(20);
    expect(side.perRequest.has('(idle)')).toBe(false);
    expect(side.busy).toBe(40);
  });

  it('lists the largest differences first, with the busy totals', () => {
    const a = readSideProfile(writeProfile([2, 3, 3, 3]), [[0, 10_000]], 1);
    const b = readSideProfile(writeProfile([2, 2, 2, 3]), [[0, 10_000]], 1);
    const lines = formatProfileDiff(a, b).split('\n');
    expect(lines[2]).toMatch(/^ +200\.00 +100\.00 +300\.00 {2}handle packages\/gateway\/dist\/handler\.js$/);
    expect(lines[3]).toMatch(/^ *-200\.00 +300\.00 +100\.00 {2}writev$/);
    expect(lines.at(-1)).toBe('busy per request: A 400.0 µs, B 400.0 µs, B/A 1.000');
  });
});
