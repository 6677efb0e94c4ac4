/**
 * A real redis-server speaking TLS only, for `rediss://` tests: a throw-away CA and a server
 * certificate for 127.0.0.1 made by the `openssl` CLI in a temp dir, a free loopback port, no
 * persistence. Each call makes a new CA, so a second server is one a client trusting the first
 * CA must refuse. `close()` kills the process (and process exit does, as a last resort).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts } from '@gatehouse/core/testing';
import { Redis } from 'ioredis';

/**
 * Whether a TLS redis-server can be started here: redis-server built with TLS and the openssl CLI.
 * Under CI=true a missing piece is a failure, never a skip.
 */
export function redisTlsAvailable(): { available: boolean; skipReason: string | undefined } {
  const missing: string[] = [];
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    missing.push('the openssl CLI');
  }
  try {
    // A build without TLS refuses the option; one with it stops at "not listening anywhere".
    execFileSync('redis-server', ['--tls-port', '0', '--port', '0'], { stdio: 'pipe' });
  } catch (error) {
    const output = String((error as { stdout?: unknown }).stdout ?? '') + String((error as Error).message);
    if (!output.includes('not listen anywhere')) missing.push('redis-server built with TLS');
  }
  if (missing.length === 0) return { available: true, skipReason: undefined };
  const reason = `${missing.join(' and ')} missing; skipping Redis TLS tests`;
  if (process.env.CI === 'true') throw new Error(`${reason} but CI=true`);
  return { available: false, skipReason: reason };
}

export interface RedisTlsHandle {
  /** `rediss://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** PEM of the CA that signed the server's certificate (trusted by nothing until a test says so). */
  readonly caPem: string;
  close(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA and a node certificate (P-256, one day) for 127.0.0.1 / localhost, as files in `dir`. */
export function makeCertificates(dir: string, subjectAltName = 'IP:127.0.0.1,DNS:localhost'): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=Gatehouse throw-away test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl(dir, ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  // clientAuth too: on a TLS Cluster's bus each node presents this certificate to the others as a
  // client, and the bus always checks it ("unsupported certificate" otherwise).
  writeFileSync(
    join(dir, 'server.ext'),
    `basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=${subjectAltName}\n`,
  );
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '1',
    '-extfile',
    'server.ext',
  ]);
}

/** The redis-server options serving the certificates makeCertificates wrote to `dir`. */
export function tlsServerArgs(dir: string): string[] {
  return [
    '--tls-cert-file',
    join(dir, 'server.pem'),
    '--tls-key-file',
    join(dir, 'server.key'),
    '--tls-ca-cert-file',
    join(dir, 'ca.pem'),
    // Server authentication only: gateways present no client certificate.
    '--tls-auth-clients',
    'no',
  ];
}

export async function startRedisTls(): Promise<RedisTlsHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-tls-'));
  makeCertificates(dir);
  const caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
  const [port] = (await freePorts(1)) as [number];
  const child = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--tls-port',
      String(port),
      ...tlsServerArgs(dir),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  );
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      waitForPing(port, caPem),
      exited.then(() => {
        throw new Error(`TLS redis-server on port ${port} exited at start`);
      }),
    ]);
  } catch (error) {
    await close();
    throw error;
  }
  return { url: `rediss://127.0.0.1:${port}`, port, caPem, close };
}

async function waitForPing(port: number, ca: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const probe = new Redis({ port, host: '127.0.0.1', tls: { ca }, lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.ping();
      return;
    } catch {
      await sleep(25);
    } finally {
      probe.disconnect();
    }
  }
  throw new Error(`TLS redis-server on port ${port} did not start`);
}
