/** Process-level helpers: a gateway spawned from the built CLI, and a TCP proxy that can "lose" the control plane. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
export const CLI = path.join(REPO_ROOT, 'packages/cli/dist/main.js');

export function assertCliBuilt(): void {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run \`npx tsc -b tsconfig.build.json\` (npm test builds first)`);
}

export interface SpawnedGateway {
  url: string;
  adminUrl: string;
  process: ChildProcess;
  output: () => string;
  /** SIGTERM (drain) and wait for exit. */
  stop(): Promise<number | null>;
  metric(name: string): Promise<number | undefined>;
}

export async function spawnGateway(
  controlPlaneUrl: string,
  token: string,
  backupDir: string,
  extra: string[] = [],
): Promise<SpawnedGateway> {
  assertCliBuilt();
  const child = spawn(
    process.execPath,
    [
      CLI,
      'gateway',
      '--control-plane',
      controlPlaneUrl,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--admin-port',
      '0',
      '--access-log',
      'off',
      '--backup-dir',
      backupDir,
      ...extra,
    ],
    { env: { ...process.env, GATEHOUSE_GATEWAY_TOKEN: token, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = new Promise<{ url: string; admin: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        if (!line.includes('hybrid gateway started')) continue;
        clearTimeout(timer);
        const parsed = JSON.parse(line) as { url: string; admin: string };
        resolve(parsed);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${output}`)));
  });
  const { url, admin } = await listening;
  return {
    url,
    adminUrl: admin,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    metric: async (name) => {
      const text = await (await fetch(`${admin}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
    },
  };
}

/** Forwards 127.0.0.1:<port> to a target; cut() drops every connection and refuses new ones until restore(). */
export interface CuttableProxy {
  url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<CuttableProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  const cut = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    cut,
    restore: () => listen(port),
    close: async () => {
      if (server.listening) await cut();
    },
  };
}
