import type { Logger } from 'pino';

/**
 * SIGTERM/SIGINT run `close` (drain and free everything) once, then exit 0, or 1 when closing
 * failed. Shared by every long-running command so they all stop the same way.
 */
export function exitOnShutdownSignals(close: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining and shutting down');
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
