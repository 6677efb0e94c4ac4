import type { Balancing } from './settings.js';

/** What a balancer needs to know about a target. */
export interface Balanceable {
  readonly weight: number;
  /** In-flight exchanges (least-connections). */
  readonly inFlight: number;
  /** Smooth weighted round-robin accumulator, owned by the weighted balancer. */
  currentWeight: number;
}

export type IsAvailable<T> = (target: T, now: number) => boolean;

export interface Balancer<T extends Balanceable> {
  /**
   * Chooses an available target, avoiding `exclude` (targets already tried by this request) when another one is
   * available; undefined when none is available at all.
   */
  pick(now: number, exclude?: readonly T[]): T | undefined;
}

export function createBalancer<T extends Balanceable>(
  kind: Balancing,
  targets: readonly T[],
  isAvailable: IsAvailable<T>,
): Balancer<T> {
  const choose =
    kind === 'weighted'
      ? smoothWeighted(targets, isAvailable)
      : kind === 'least-connections'
        ? leastConnections(targets, isAvailable)
        : roundRobin(targets, isAvailable);
  return {
    pick(now, exclude) {
      if (exclude === undefined || exclude.length === 0) return choose(now, undefined);
      return choose(now, exclude) ?? choose(now, undefined);
    },
  };
}

type Choose<T> = (now: number, exclude: readonly T[] | undefined) => T | undefined;

function roundRobin<T extends Balanceable>(targets: readonly T[], isAvailable: IsAvailable<T>): Choose<T> {
  let next = 0;
  return (now, exclude) => {
    const count = targets.length;
    for (let i = 0; i < count; i++) {
      const index = (next + i) % count;
      const target = targets[index]!;
      if (target.weight > 0 && isAvailable(target, now) && !exclude?.includes(target)) {
        next = (index + 1) % count;
        return target;
      }
    }
    return undefined;
  };
}

/**
 * Smooth weighted round-robin (as in nginx): every pick adds each weight to its accumulator, takes the largest
 * and subtracts the total from it, so weights 5:1:1 give a a b a c a a rather than bursts.
 */
function smoothWeighted<T extends Balanceable>(targets: readonly T[], isAvailable: IsAvailable<T>): Choose<T> {
  return (now, exclude) => {
    let best: T | undefined;
    let total = 0;
    for (const target of targets) {
      if (target.weight <= 0 || !isAvailable(target, now) || exclude?.includes(target)) continue;
      target.currentWeight += target.weight;
      total += target.weight;
      if (best === undefined || target.currentWeight > best.currentWeight) best = target;
    }
    if (best !== undefined) best.currentWeight -= total;
    return best;
  };
}

/** Fewest in-flight exchanges; ties rotate so equally idle targets share the load. */
function leastConnections<T extends Balanceable>(targets: readonly T[], isAvailable: IsAvailable<T>): Choose<T> {
  let start = 0;
  return (now, exclude) => {
    const count = targets.length;
    let best: T | undefined;
    let bestIndex = 0;
    for (let i = 0; i < count; i++) {
      const index = (start + i) % count;
      const target = targets[index]!;
      if (target.weight <= 0 || !isAvailable(target, now) || exclude?.includes(target)) continue;
      if (best === undefined || target.inFlight < best.inFlight) {
        best = target;
        bestIndex = index;
      }
    }
    if (best !== undefined) start = (bestIndex + 1) % count;
    return best;
  };
}
