import { describe, expect, it } from 'vitest';
import { type Balanceable, createBalancer } from './balancer.js';

interface FakeTarget extends Balanceable {
  name: string;
  weight: number;
  inFlight: number;
  up: boolean;
}

const targets = (...specs: Array<[string, number?]>): FakeTarget[] =>
  specs.map(([name, weight = 1]) => ({ name, weight, inFlight: 0, currentWeight: 0, up: true }));
const isUp = (target: FakeTarget) => target.up;
const picks = (pick: () => FakeTarget | undefined, count: number) =>
  Array.from({ length: count }, () => pick()?.name ?? '-').join('');

describe('round-robin', () => {
  it('cycles through targets in order and skips unavailable or zero-weight ones', () => {
    const list = targets(['a'], ['b'], ['c'], ['z', 0]);
    const balancer = createBalancer('round-robin', list, isUp);
    expect(picks(() => balancer.pick(0), 6)).toBe('abcabc');
    list[1]!.up = false;
    expect(picks(() => balancer.pick(0), 4)).toBe('acac');
    for (const target of list) target.up = false;
    expect(balancer.pick(0)).toBeUndefined();
  });

  it('avoids excluded targets while another is available, and falls back to them otherwise', () => {
    const list = targets(['a'], ['b']);
    const balancer = createBalancer('round-robin', list, isUp);
    expect(balancer.pick(0, [list[0]!])?.name).toBe('b');
    expect(balancer.pick(0, [list[0]!])?.name).toBe('b');
    list[1]!.up = false;
    expect(balancer.pick(0, [list[0]!])?.name).toBe('a');
  });
});

describe('weighted (smooth weighted round-robin)', () => {
  it('interleaves by weight instead of bursting: 5:1:1 -> a a b a c a a', () => {
    const balancer = createBalancer('weighted', targets(['a', 5], ['b'], ['c']), isUp);
    expect(picks(() => balancer.pick(0), 14)).toBe('aabacaaaabacaa');
  });

  it('distributes exactly by weight over a full cycle', () => {
    const list = targets(['a', 3], ['b', 1], ['c', 0]);
    const balancer = createBalancer('weighted', list, isUp);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 400; i++) {
      const name = balancer.pick(0)!.name;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 300, b: 100 });
  });
});

describe('least-connections', () => {
  it('chooses the target with the fewest in-flight exchanges and rotates ties', () => {
    const list = targets(['a'], ['b'], ['c']);
    const balancer = createBalancer('least-connections', list, isUp);
    list[0]!.inFlight = 2;
    list[1]!.inFlight = 1;
    list[2]!.inFlight = 1;
    expect(picks(() => balancer.pick(0), 4)).toBe('bcbc');
    list[0]!.inFlight = 0;
    expect(balancer.pick(0)?.name).toBe('a');
    list[0]!.up = false;
    expect(balancer.pick(0)?.name).not.toBe('a');
  });
});
