/** Periodic heartbeat (jittered around the interval) to the control plane, plus one right after each applied or refused config. */
import type { Heartbeat } from '@gatehouse/config';
import type { Logger } from '@gatehouse/core';
import { aroundInterval, type Random } from './backoff.js';
import type { ControlPlaneClient } from './control-plane-client.js';
import type { HybridMetrics } from './metrics.js';

/** The protocol's heartbeat (see @gatehouse/config), with what this gateway always sends. */
export interface HeartbeatPayload extends Heartbeat {
  protocol: number;
  instanceId: string;
  version: string;
  hostname: string;
  configVersion: string | null;
  cursor: string | null;
  appliedRevisions: Record<string, number>;
  uptimeSeconds: number;
  requests: { total: number; '2xx': number; '4xx': number; '5xx': number };
  capabilities: Array<{ name: string; version: string; kind: string }>;
  backup: { servingFromBackup: boolean; stalenessSeconds: number };
  errors: Array<{ at: string; message: string }>;
}

/** Request counts by class since the process started. */
export class RequestCounts {
  total = 0;
  ok = 0;
  clientErrors = 0;
  serverErrors = 0;

  count(status: number): void {
    this.total++;
    if (status >= 200 && status < 300) this.ok++;
    else if (status >= 400 && status < 500) this.clientErrors++;
    else if (status >= 500) this.serverErrors++;
  }

  toJSON(): HeartbeatPayload['requests'] {
    return { total: this.total, '2xx': this.ok, '4xx': this.clientErrors, '5xx': this.serverErrors };
  }
}

export class HeartbeatReporter {
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastFailed = false;

  constructor(
    private readonly client: ControlPlaneClient,
    private readonly intervalMs: number,
    private readonly build: () => HeartbeatPayload,
    private readonly logger: Logger,
    private readonly metrics: HybridMetrics,
    private readonly random: Random = Math.random,
  ) {}

  start(): void {
    void this.sendNow();
  }

  /** Sends now (coalesced with one in flight); the periodic timer restarts from here. */
  sendNow(): Promise<void> {
    if (this.sending) {
      this.again = true;
      return this.sending;
    }
    this.sending = (async () => {
      do {
        this.again = false;
        await this.sendOnce();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.sending = undefined;
      this.schedule();
    });
    return this.sending;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sending;
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.sendNow(), aroundInterval(this.intervalMs, this.random));
    this.timer.unref();
  }

  private async sendOnce(): Promise<void> {
    try {
      await this.client.heartbeat(this.build());
      this.metrics.heartbeats.labels('ok').inc();
      this.lastFailed = false;
    } catch (error) {
      this.metrics.heartbeats.labels('error').inc();
      // The config sync already reports an unreachable control plane; one line per outage here.
      if (!this.lastFailed) this.logger.warn({ err: (error as Error).message }, 'heartbeat not delivered');
      this.lastFailed = true;
    }
  }
}
