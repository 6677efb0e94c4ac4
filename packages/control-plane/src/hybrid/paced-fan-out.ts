/**
 * Paces `changed` events to gateways' event streams (docs/decisions/0020-paced-fan-out.md). Every
 * gateway told of a change syncs at once, so telling 1,000 streams in one instant puts 1,000 `/sync`
 * requests on the control plane's one thread together, and a management call arriving then waits
 * behind all of them. Here streams are told in waves of at most `window`:
 *
 * - each sync this replica answers lets one more stream be told (the window slides, clocked by
 *   answers as TCP is by acks), so while the control plane is the bottleneck about one window of
 *   syncs is queued ahead of a management call, and the fan-out runs as fast as syncs are answered;
 * - every `waveMs` while streams wait, the streams told but whose sync has not reached this replica
 *   stop counting (their sync is on the network, went to another replica behind a load balancer, or
 *   never comes: a gateway gone quiet), so a far or silent gateway does not hold the fan-out back,
 *   and a fan-out is never slower than `window` streams per `waveMs`.
 *
 * Any answered sync opens the window, not only a told gateway's: a poll costs the same, and a told
 * gateway's sync may be answered by another replica. No stream is told while a window of syncs is in
 * progress here, whatever sent them.
 */

export interface FanOutOptions {
  /** Streams told of a change and not answered yet, at most; and syncs in progress here for another to be told. */
  window: number;
  /** How often the told streams whose sync has not arrived here stop counting. */
  waveMs: number;
}

/**
 * 32 syncs of 0.25-0.9 ms of control-plane CPU each (bench:fleet, protocol 3, demo document) is 8-30 ms
 * of work ahead of a management call; 20 ms between waves lets 1,600 streams a second be told when
 * answers are slow to come back, above what one core answers (1,100-4,000 syncs a second).
 */
export const DEFAULT_FAN_OUT: FanOutOptions = { window: 32, waveMs: 20 };

/** A gateway's event stream as the fan-out sees it. */
export interface FanOutStream {
  send(cursor: string): void;
}

export class PacedFanOut {
  /** Streams waiting, in arrival order, with the newest cursor announced for each. */
  private readonly waiting = new Map<FanOutStream, string>();
  /** Told and not answered yet (as far as this replica can tell). */
  private told = 0;
  /** Syncs this replica received and has not answered yet. */
  private active = 0;
  private tick: NodeJS.Timeout | undefined;

  constructor(private readonly options: FanOutOptions = DEFAULT_FAN_OUT) {
    if (!(options.window >= 1)) throw new Error('fan-out window must be at least 1');
  }

  /** Tells `stream` of `cursor` once the window allows; a stream already waiting keeps its place and gets the newer cursor. */
  notify(stream: FanOutStream, cursor: string): void {
    this.waiting.set(stream, cursor);
    this.pump();
  }

  /** The stream closed: nothing to tell it any more. */
  forget(stream: FanOutStream): void {
    this.waiting.delete(stream);
  }

  /** A sync reached this replica. */
  arrived(): void {
    this.active++;
  }

  /** This replica answered a sync: one more stream may be told. */
  answered(): void {
    if (this.active > 0) this.active--;
    if (this.told > 0) this.told--;
    this.pump();
  }

  /** Streams waiting for the window. */
  get pending(): number {
    return this.waiting.size;
  }

  /** Told and not answered yet, as this replica counts them. */
  get inFlight(): number {
    return this.told;
  }

  private pump(): void {
    for (const [stream, cursor] of this.waiting) {
      // Nor while a window of syncs (polls piled up on a starved control plane) is in progress here:
      // those gateways get the change from their poll's answer anyway.
      if (this.told >= this.options.window || this.active >= this.options.window) break;
      this.waiting.delete(stream);
      this.told++;
      stream.send(cursor);
    }
    // The tick runs while streams wait or told ones may still stop counting (so the next fan-out
    // does not inherit the slots of gateways that never synced here).
    if (this.waiting.size === 0 && this.told <= this.active) {
      clearInterval(this.tick);
      this.tick = undefined;
    } else if (!this.tick) {
      this.tick = setInterval(() => this.wave(), this.options.waveMs);
      this.tick.unref();
    }
  }

  /** Streams told whose sync is not here stop counting; syncs in progress here still do. */
  private wave(): void {
    this.told = Math.min(this.told, this.active);
    this.pump();
  }
}
