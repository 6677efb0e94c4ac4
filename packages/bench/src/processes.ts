import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

export interface Proc {
  child: ChildProcess;
  /** What the process printed on stdout until it was ready (a peer may announce its API key there). */
  readyOutput: string;
  stop(): Promise<void>;
}

/** Starts a process and waits until `ready` (a line on stdout, or a TCP port accepting connections). */
export async function startProcess(
  command: string,
  args: string[],
  ready: { line?: string; port?: number; timeoutMs?: number },
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 20_000,
): Promise<Proc> {
  const child = spawn(command, args, { env, stdio: ['ignore', ready.line ? 'pipe' : 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  let readyOutput = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running behind the error: nobody else holds it.
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not become ready:\n${stderr}`));
    }, ready.timeoutMs ?? timeoutMs);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}:\n${stderr}`)));
    if (ready.line) {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes(ready.line!)) {
          readyOutput = out;
          clearTimeout(timer);
          resolve();
        }
      });
    } else if (ready.port) {
      const probe = () => {
        const socket = net.connect(ready.port!, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          clearTimeout(timer);
          resolve();
        });
        socket.once('error', () => setTimeout(probe, 100));
      };
      probe();
    }
  });
  child.stdout?.resume();
  return { child, readyOutput, stop };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) used so far by a process and its live children (nginx's worker), from /proc.
 * Undefined where /proc is missing. Per-request CPU is steadier than requests/s on a shared, noisy machine.
 */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let ticks = Number(fields[11]) + Number(fields[12]);
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    for (const child of children ? children.split(' ') : [])
      ticks += (cpuSeconds(Number(child)) ?? 0) * CLOCK_TICKS_PER_SECOND;
    return ticks / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Prefixes a command with `taskset -c <cpus>` when pinning was asked for and taskset exists. */
export function pinned(cpus: string | undefined, command: string, args: string[]): [string, string[]] {
  if (cpus === undefined) return [command, args];
  return ['taskset', ['-c', cpus, command, ...args]];
}
