/**
 * How every long-running command starts and stops. Signals are handled from the first moment (a
 * Ctrl-C during a slow start closes what already runs and exits), ports are checked before anything
 * starts, and a start that fails closes what it started and says why in one line, exit status 1.
 */
import net from 'node:net';
import type { Logger } from '@gatehouse/core';
import { SecretKeyError } from '@gatehouse/core';

/** A port a command binds, and how the user changes it. */
export interface PortSpec {
  port: number;
  host: string;
  /** e.g. `--port or GATEHOUSE_PORT` */
  changeWith: string;
  what: string;
}

/** A start failure the user can act on: printed as one line, no stack. */
export class StartError extends Error {}

/** Closing must not hang a stop: past this, the process exits anyway. */
const CLOSE_DEADLINE_MS = 5_000;

export class Lifecycle {
  private readonly resources: Array<{ name: string; close: () => Promise<void> }> = [];
  private stopping = false;
  private readonly onSignal = (signal: NodeJS.Signals) => this.stop(signal);

  constructor(
    private readonly logger: Logger,
    private readonly ports: PortSpec[] = [],
  ) {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /** Registers something to close on stop or failed start (closed in reverse order). */
  add(name: string, close: () => Promise<void>): void {
    this.resources.push({ name, close });
  }

  /** Fails fast, before a slow start, when one of the ports is taken (the real bind still checks). */
  async checkPorts(): Promise<void> {
    for (const spec of this.ports) {
      const problem = await probePort(spec.port, spec.host);
      if (problem) throw new StartError(describePortProblem(spec, problem));
    }
  }

  /** Runs the start; on failure closes what was started and answers the exit status (1). */
  async run(start: () => Promise<void>): Promise<number> {
    try {
      await this.checkPorts();
      await start();
    } catch (error) {
      if (this.stopping) return new Promise(() => {});
      process.stderr.write(`gatehouse: ${this.describe(error)}\n`);
      await this.closeAll();
      return 1;
    }
    // Runs until a signal: stop() exits the process.
    return new Promise(() => {});
  }

  private describe(error: unknown): string {
    const e = error as NodeJS.ErrnoException & { port?: number };
    if (error instanceof StartError) return error.message;
    if (error instanceof SecretKeyError) return `cannot start: ${error.message}`;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
      const spec =
        this.ports.find((p) => p.port === e.port) ?? this.ports.find((p) => e.message?.includes(`:${p.port}`));
      if (spec) return describePortProblem(spec, e.code);
      return e.message;
    }
    if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') return e.stack ?? String(error);
    return `${e.message ?? String(error)} (LOG_LEVEL=debug shows the stack)`;
  }

  private stop(signal: NodeJS.Signals): void {
    if (this.stopping) {
      // Second Ctrl-C: the user does not want to wait for the drain.
      process.exit(130);
    }
    this.stopping = true;
    this.logger.info({ signal }, 'stopping');
    void this.closeAll().then((ok) => process.exit(ok ? 0 : 1));
  }

  private async closeAll(): Promise<boolean> {
    let ok = true;
    const deadline = new Promise<'timeout'>((resolve) => setTimeout(resolve, CLOSE_DEADLINE_MS, 'timeout').unref());
    for (const resource of this.resources.splice(0).reverse()) {
      const started = performance.now();
      const result = await Promise.race([
        resource.close().then(
          () => 'closed' as const,
          (error: unknown) => {
            this.logger.error({ err: error, resource: resource.name }, 'close failed');
            return 'failed' as const;
          },
        ),
        deadline,
      ]);
      this.logger.debug({ resource: resource.name, ms: Math.round(performance.now() - started) }, 'closed');
      if (result !== 'closed') ok = false;
      if (result === 'timeout') {
        this.logger.warn({ resource: resource.name }, 'close timed out; exiting anyway');
        break;
      }
    }
    return ok;
  }
}

function describePortProblem(spec: PortSpec, code: string): string {
  const reason = code === 'EACCES' ? 'needs privileges the process does not have' : 'is already in use';
  return `port ${spec.port} (${spec.what}) ${reason}; choose another with ${spec.changeWith}`;
}

/** Binds and releases the port: answers the error code when it cannot be bound. */
function probePort(port: number, host: string): Promise<string | undefined> {
  if (port === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'EADDRINUSE'));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** A port flag's value as a number, or a usage error naming the flag. */
export function portValue(value: string | undefined, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new StartError(`${flag} must be a port number (0-65535), got "${value}"`);
  return port;
}
