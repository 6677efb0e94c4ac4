/**
 * A worker's side of the node's shared limits: a CounterStore and NodeLimits whose state lives in the
 * primary. Operations queue up during one event-loop turn and leave as one message (setImmediate), so
 * under load the cost of crossing threads is shared by every request of the turn.
 */
import type { MessagePort } from 'node:worker_threads';
import type {
  CellAdmission,
  CounterStore,
  FallbackLimits,
  HitRequest,
  HitResult,
  SlotAcquisition,
  SlotLimits,
} from '@gatehouse/policies';
import type { LimitAnswer, LimitOp, ToPrimary } from './protocol.js';

type Pending = (answer: LimitAnswer) => void;

export class PrimaryChannel {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private queue: LimitOp[] = [];
  private scheduled = false;
  private closed = false;

  constructor(private readonly port: Pick<MessagePort, 'postMessage'>) {}

  /** An answer batch from the primary. */
  answer(answers: Array<[number, LimitAnswer]>): void {
    for (const [id, answer] of answers) {
      const resolve = this.pending.get(id);
      if (!resolve) continue;
      this.pending.delete(id);
      resolve(answer);
    }
  }

  ask<T extends LimitAnswer>(op: DistributiveOmit<LimitOp, 'id'>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(new Error('the node is shutting down'));
      this.pending.set(id, (answer) => {
        if (typeof answer === 'object' && answer !== null && 'error' in answer) reject(new Error(answer.error));
        else resolve(answer as T);
      });
      this.send({ ...op, id } as LimitOp);
    });
  }

  /** The id the next ask() will use (an acquire's abort names it). */
  peekId(): number {
    return this.nextId;
  }

  tell(op: LimitOp): void {
    this.send(op);
  }

  close(): void {
    this.closed = true;
    for (const resolve of this.pending.values()) resolve({ error: 'the node is shutting down' });
    this.pending.clear();
  }

  private send(op: LimitOp): void {
    this.queue.push(op);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const ops = this.queue;
    this.queue = [];
    if (ops.length > 0) this.port.postMessage({ t: 'ops', ops } satisfies ToPrimary);
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Exact counters for the node: every hit is counted by the primary's one MemoryCounterStore. */
export class WorkerCounterStore implements CounterStore {
  readonly kind = 'memory' as const;

  constructor(private readonly channel: PrimaryChannel) {}

  hit(request: HitRequest): Promise<HitResult> {
    return this.channel.ask<HitResult>({ op: 'hit', request });
  }

  peek(request: HitRequest): Promise<HitResult> {
    return this.channel.ask<HitResult>({ op: 'peek', request });
  }

  add(key: string, windowMs: number, delta: number, windowStartMs?: number): Promise<number> {
    return this.channel.ask<number>({ op: 'add', key, windowMs, delta, windowStartMs });
  }

  async close(): Promise<void> {}
}

export class WorkerNodeLimits implements FallbackLimits {
  constructor(private readonly channel: PrimaryChannel) {}

  takeCell(key: string, intervalMs: number, burst: number): Promise<CellAdmission> {
    return this.channel.ask<CellAdmission>({ op: 'cell', key, intervalMs, burst });
  }

  async acquireSlot(key: string, limits: SlotLimits, signal?: AbortSignal): Promise<SlotAcquisition> {
    const outcome = await this.acquireSlotOrTable(key, limits, signal);
    // Only a worker with the shared table is ever told to use it.
    return outcome === 'table' ? 'full' : outcome;
  }

  /** As acquireSlot; `'table'`: the primary found the key in the shared table, where this worker waits itself. */
  async acquireSlotOrTable(key: string, limits: SlotLimits, signal?: AbortSignal): Promise<SlotAcquisition | 'table'> {
    if (signal?.aborted) return 'aborted';
    const id = this.channel.peekId();
    const onAbort = () => this.channel.tell({ id: 0, op: 'abort', ref: id });
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const outcome = await this.channel.ask<SlotAcquisition | 'table'>({ op: 'acquire', key, limits });
      // Granted just as the client went away: nobody will release it, so give it back now.
      if (outcome === 'acquired' && signal?.aborted) {
        this.releaseSlot(key, limits);
        return 'aborted';
      }
      return outcome;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  releaseSlot(key: string, limits: SlotLimits): void {
    this.channel.tell({ id: 0, op: 'release', key, limits });
  }
}
