/**
 * NodeLimits of one process: what the primary of a multi-worker node runs for all its workers (and what
 * a test can pass to check that policies use the node's limits). Buckets and pools are keyed by their
 * parameters too, so a reload that changes a rate or a limit starts a fresh bucket rather than mixing two.
 */

import { SlotPool } from '../concurrency-limit/slots.js';
import type { CellAdmission, NodeLimits, SlotAcquisition, SlotLimits } from '../sdk/node-limits.js';
import { GcraLimiter } from '../spike-arrest/gcra.js';

const PRUNE_EVERY_MS = 10_000;

export class LocalNodeLimits implements NodeLimits {
  private readonly buckets = new Map<string, GcraLimiter>();
  private readonly pools = new Map<string, SlotPool>();
  private readonly pruner: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.pruner = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.pruner.unref();
  }

  takeCell(key: string, intervalMs: number, burst: number): CellAdmission {
    const id = `${intervalMs}:${burst}`;
    let bucket = this.buckets.get(id);
    if (!bucket) {
      bucket = new GcraLimiter(intervalMs, burst);
      this.buckets.set(id, bucket);
    }
    return bucket.take(key, this.now());
  }

  acquireSlot(key: string, limits: SlotLimits, signal?: AbortSignal): SlotAcquisition | Promise<SlotAcquisition> {
    const id = poolId(limits);
    let pool = this.pools.get(id);
    if (!pool) {
      pool = new SlotPool(limits.limit, limits.queueSize, limits.queueTimeoutMs);
      this.pools.set(id, pool);
    }
    return pool.acquire(key, signal);
  }

  releaseSlot(key: string, limits: SlotLimits): void {
    this.pools.get(poolId(limits))?.release(key);
  }

  inFlight(key: string, limits: SlotLimits): number {
    return this.pools.get(poolId(limits))?.inFlight(key) ?? 0;
  }

  close(): void {
    clearInterval(this.pruner);
  }

  private prune(): void {
    const now = this.now();
    for (const bucket of this.buckets.values()) bucket.prune(now);
  }
}

function poolId(limits: SlotLimits): string {
  return `${limits.limit}:${limits.queueSize}:${limits.queueTimeoutMs}`;
}
