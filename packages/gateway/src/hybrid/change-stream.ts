/** Keeps the control plane's change stream open while the gateway runs, reconnecting with backoff. */
import type { Logger } from '@gatehouse/core';
import { Backoff, type Random } from './backoff.js';
import type { ControlPlaneClient } from './control-plane-client.js';
import type { HybridMetrics } from './metrics.js';

const STREAM_IDLE_TIMEOUT_MS = 45_000;

export async function followChangeStream(options: {
  client: ControlPlaneClient;
  metrics: HybridMetrics;
  logger: Logger;
  signal: AbortSignal;
  /** Something changed (to `cursor`, when the event says), the stream (re)opened, or it failed: the caller syncs. */
  onChange: (cursor?: string) => void;
  random?: Random;
}): Promise<void> {
  const { client, metrics, logger, signal, onChange } = options;
  const backoff = new Backoff(1000, 30_000, options.random);
  while (!signal.aborted) {
    try {
      await client.events({
        signal,
        idleTimeoutMs: STREAM_IDLE_TIMEOUT_MS,
        onOpen: () => {
          backoff.reset();
          metrics.controlPlaneConnected.set(1);
          // Changes may have happened while disconnected.
          onChange();
        },
        onChanged: (cursor) => onChange(cursor),
      });
    } catch (error) {
      logger.debug({ err: (error as Error).message }, 'change stream failed');
      // A sync now tells "control plane gone" (state, backoff, one log line) from a dropped stream.
      if (!signal.aborted) onChange();
    }
    metrics.controlPlaneConnected.set(0);
    if (signal.aborted) break;
    await sleep(backoff.next(), signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
