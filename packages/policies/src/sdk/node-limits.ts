/**
 * Limits that hold for a whole gateway node (every worker of one `gatehouse gateway`): spike arrest's
 * bucket and concurrency slots. A single process keeps them per policy instance; a node with several
 * workers passes an implementation that asks the primary, so the numbers stay exact for the node.
 */

export interface CellAdmission {
  allowed: boolean;
  /** When refused: ms until a request would be admitted. */
  retryAfterMs: number;
}

export type SlotAcquisition = 'acquired' | 'full' | 'timeout' | 'aborted';

export interface SlotLimits {
  limit: number;
  queueSize: number;
  queueTimeoutMs: number;
}

export interface NodeLimits {
  /** One GCRA cell for `key` (a leaky bucket of `burst` cells, one per `intervalMs`). */
  takeCell(key: string, intervalMs: number, burst: number): CellAdmission | Promise<CellAdmission>;
  /** Takes an in-flight slot of `key`, waiting in line when the limits allow; release an acquired slot once. */
  acquireSlot(key: string, limits: SlotLimits, signal?: AbortSignal): SlotAcquisition | Promise<SlotAcquisition>;
  releaseSlot(key: string, limits: SlotLimits): void;
}
