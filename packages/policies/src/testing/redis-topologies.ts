/**
 * Real multi-node Redis for tests: a Cluster of N masters and a Sentinel set-up (a master, a replica
 * and sentinels), each started from `redis-server` on free loopback ports in a temp dir, without
 * persistence. Everything started is killed by `close()` (and on process exit, as a last resort).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts } from '@gatehouse/core/testing';
import { Redis } from 'ioredis';
import { makeCertificates, tlsServerArgs } from './redis-tls.js';

/**
 * Whether redis-server can be started: a laptop without it skips with a reason; under CI=true a
 * missing binary is a failure, never a skip (.ci/run installs it).
 */
export function redisServerAvailable(): { available: boolean; skipReason: string | undefined } {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return { available: true, skipReason: undefined };
  } catch {
    if (process.env.CI === 'true') throw new Error('redis-server is not installed but CI=true: install redis-server');
    return { available: false, skipReason: 'redis-server not installed; skipping multi-node Redis tests' };
  }
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** One redis-server process. */
export interface RedisNode {
  readonly port: number;
  /** Kills the process (Redis "dies"); `close()` of the topology tolerates it. */
  kill(): Promise<void>;
}

class Topology {
  readonly dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-'));
  private readonly children: ChildProcess[] = [];
  private readonly admins: Redis[] = [];
  /** Password of each port that has one (`requirepass`), for the admin and probe connections. */
  private readonly passwords = new Map<number, string>();
  /** Set by useTls(): every node then listens on TLS only, and admin connections trust this CA. */
  private tls: { caPem: string; args: string[]; servername?: string } | undefined;

  /** A throw-away CA and a node certificate in this topology's dir; answers the CA's PEM. */
  useTls(hostname?: string): string {
    makeCertificates(this.dir, hostname ? `DNS:${hostname}` : undefined);
    const caPem = readFileSync(join(this.dir, 'ca.pem'), 'utf8');
    // Admin connections dial 127.0.0.1 and check the certificate's name, whatever it is.
    this.tls = { caPem, args: tlsServerArgs(this.dir), ...(hostname ? { servername: hostname } : {}) };
    return caPem;
  }

  async start(port: number, args: string[], password?: string): Promise<RedisNode> {
    if (password) this.passwords.set(port, password);
    const child = spawn(
      'redis-server',
      [
        ...args,
        ...(this.tls ? ['--port', '0', '--tls-port', String(port), ...this.tls.args] : ['--port', String(port)]),
        ...['--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no'],
      ],
      { stdio: 'ignore' },
    );
    running.add(child);
    this.children.push(child);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', () => running.delete(child));
    await Promise.race([
      this.waitForPing(port),
      exited.then(() => {
        throw new Error(`redis-server on port ${port} exited at start (args: ${args.join(' ')})`);
      }),
    ]);
    return {
      port,
      kill: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
    };
  }

  /** An admin connection (closed with the topology). */
  admin(port: number): Redis {
    const password = this.passwords.get(port);
    const client = new Redis({
      port,
      host: '127.0.0.1',
      maxRetriesPerRequest: 1,
      ...(password ? { password } : {}),
      ...(this.tls ? { tls: { ca: this.tls.caPem, servername: this.tls.servername } } : {}),
    });
    client.on('error', () => {});
    this.admins.push(client);
    return client;
  }

  async close(): Promise<void> {
    for (const admin of this.admins) admin.disconnect();
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitForPing(port: number): Promise<void> {
    const password = this.passwords.get(port);
    const probe = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      retryStrategy: () => null,
      ...(password ? { password } : {}),
      ...(this.tls ? { tls: { ca: this.tls.caPem, servername: this.tls.servername } } : {}),
    });
    probe.on('error', () => {});
    try {
      for (let attempt = 0; attempt < 200; attempt++) {
        try {
          if (probe.status !== 'ready') await probe.connect();
          await probe.ping();
          return;
        } catch {
          probe.disconnect();
          await sleep(25);
        }
      }
      throw new Error(`redis-server on port ${port} did not start`);
    } finally {
      probe.disconnect();
    }
  }
}

const userinfo = (password: string | undefined) => (password ? `:${encodeURIComponent(password)}@` : '');

/** Polls `check` every 50 ms until it returns true; throws after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export interface RedisClusterHandle {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,...` (`rediss+cluster://` with `tls`), for REDIS_URL. */
  readonly url: string;
  /** With `tls`: the PEM of the throw-away CA that signed every node's certificate. */
  readonly caPem?: string;
  readonly nodes: RedisNode[];
  /** Runs a command on every master (e.g. SCRIPT FLUSH), as ioredis has no cluster-wide form. */
  onEveryNode(command: string, ...args: string[]): Promise<unknown[]>;
  close(): Promise<void>;
}

/**
 * A Cluster of `masters` nodes (no replicas) with the 16384 slots split evenly. Slots are assigned
 * with CLUSTER ADDSLOTSRANGE and nodes introduced with CLUSTER MEET: faster than
 * `redis-cli --cluster create`, which sleeps between steps.
 */
export async function startRedisCluster(
  options: {
    masters?: number;
    password?: string;
    /** `cluster-require-full-coverage no`: the live masters keep answering for their slots when one dies. */
    partialCoverage?: boolean;
    /**
     * TLS only (`tls-cluster yes`): clients, CLUSTER SLOTS answers and the cluster bus use TLS, with
     * a throw-away CA (`caPem` of the handle); no node has a plaintext port.
     */
    tls?: boolean;
    /**
     * With `tls`: certificates name the nodes `localhost` only (no IP), the nodes announce that name
     * (`cluster-preferred-endpoint-type hostname`) and the URL lists `localhost` seeds, as a managed
     * TLS Cluster does with its DNS names.
     */
    hostnames?: boolean;
  } = {},
): Promise<RedisClusterHandle> {
  const count = options.masters ?? 3;
  const auth = options.password ? ['--requirepass', options.password, '--masterauth', options.password] : [];
  const topology = new Topology();
  try {
    const caPem = options.tls ? topology.useTls(options.hostnames ? 'localhost' : undefined) : undefined;
    const host = options.hostnames ? 'localhost' : '127.0.0.1';
    const ports = await freePorts(count);
    const nodes = await Promise.all(
      ports.map((port) =>
        topology.start(
          port,
          [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            '2000',
            ...(options.partialCoverage ? ['--cluster-require-full-coverage', 'no'] : []),
            ...(caPem ? ['--tls-cluster', 'yes'] : []),
            ...(options.hostnames
              ? ['--cluster-announce-hostname', 'localhost', '--cluster-preferred-endpoint-type', 'hostname']
              : []),
            ...auth,
          ],
          options.password,
        ),
      ),
    );
    const admins = ports.map((port) => topology.admin(port));
    const per = Math.ceil(16384 / count);
    await Promise.all(
      admins.map((admin, i) =>
        admin.call('CLUSTER', 'ADDSLOTSRANGE', String(i * per), String(Math.min(16383, (i + 1) * per - 1))),
      ),
    );
    await Promise.all(admins.slice(1).map((admin, i) => admin.call('CLUSTER', 'SET-CONFIG-EPOCH', String(i + 2))));
    await Promise.all(ports.slice(1).map((port) => admins[0]!.call('CLUSTER', 'MEET', '127.0.0.1', String(port))));
    await until('the cluster to agree (cluster_state:ok on every node)', async () => {
      const infos = await Promise.all(admins.map((admin) => admin.call('CLUSTER', 'INFO') as Promise<string>));
      return infos.every((info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${count}`));
    });
    return {
      url: `${caPem ? 'rediss' : 'redis'}+cluster://${userinfo(options.password)}${ports.map((port) => `${host}:${port}`).join(',')}`,
      ...(caPem ? { caPem } : {}),
      nodes,
      onEveryNode: (command, ...args) => Promise.all(admins.map((admin) => admin.call(command, ...args))),
      close: () => topology.close(),
    };
  } catch (error) {
    await topology.close();
    throw error;
  }
}

export interface RedisSentinelHandle {
  /** `redis+sentinel://127.0.0.1:s1,.../mymaster`, for REDIS_URL. */
  readonly url: string;
  readonly masterName: string;
  readonly master: RedisNode;
  readonly replica: RedisNode;
  readonly sentinels: RedisNode[];
  /** Port of the master the sentinels currently name. */
  currentMasterPort(): Promise<number>;
  /** SENTINEL FAILOVER, then waits until the replica is the master and accepts writes. */
  failover(): Promise<number>;
  close(): Promise<void>;
}

/**
 * One master, one replica and `sentinels` sentinels (quorum 1, so a single sentinel decides).
 * `password` protects the master and replica, `sentinelPassword` the sentinels.
 */
export async function startRedisSentinel(
  options: { sentinels?: number; password?: string; sentinelPassword?: string } = {},
): Promise<RedisSentinelHandle> {
  const sentinelCount = options.sentinels ?? 2;
  const { password, sentinelPassword } = options;
  const auth = password ? ['--requirepass', password, '--masterauth', password] : [];
  const masterName = 'gatehouse-test';
  const topology = new Topology();
  try {
    const [masterPort, replicaPort, ...sentinelPorts] = (await freePorts(2 + sentinelCount)) as [
      number,
      number,
      ...number[],
    ];
    const master = await topology.start(masterPort, auth, password);
    const replica = await topology.start(
      replicaPort,
      ['--replicaof', '127.0.0.1', String(masterPort), ...auth],
      password,
    );
    const replicaAdmin = topology.admin(replicaPort);
    await until('the replica to sync', async () =>
      ((await replicaAdmin.call('INFO', 'replication')) as string).includes('master_link_status:up'),
    );
    const sentinels = await Promise.all(
      sentinelPorts.map((port) => {
        const file = join(topology.dir, `sentinel-${port}.conf`);
        writeFileSync(
          file,
          [
            `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1`,
            `sentinel down-after-milliseconds ${masterName} 1000`,
            `sentinel failover-timeout ${masterName} 4000`,
            // Quoted: redis.conf splits on spaces (tests use passwords with spaces, no quotes).
            ...(password ? [`sentinel auth-pass ${masterName} "${password}"`] : []),
            ...(sentinelPassword ? [`requirepass "${sentinelPassword}"`] : []),
            '',
          ].join('\n'),
        );
        return topology.start(port, [file, '--sentinel'], sentinelPassword);
      }),
    );
    const sentinelAdmins = sentinelPorts.map((port) => topology.admin(port));
    await until('the sentinels to see the replica', async () => {
      const seen = await Promise.all(
        sentinelAdmins.map((admin) => admin.call('SENTINEL', 'REPLICAS', masterName) as Promise<unknown[]>),
      );
      return seen.every((replicas) => replicas.length === 1);
    });
    const currentMasterPort = async () => {
      const [, port] = (await sentinelAdmins[0]!.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as string[];
      return Number(port);
    };
    return {
      url:
        `redis+sentinel://${userinfo(password)}${sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',')}` +
        `/${masterName}${sentinelPassword ? `?sentinelPassword=${encodeURIComponent(sentinelPassword)}` : ''}`,
      masterName,
      master,
      replica,
      sentinels,
      currentMasterPort,
      failover: async () => {
        const before = await currentMasterPort();
        await sentinelAdmins[0]!.call('SENTINEL', 'FAILOVER', masterName);
        await until('the failover', async () => {
          const now = await currentMasterPort();
          if (now === before) return false;
          const role = (await topology.admin(now).call('ROLE')) as [string];
          return role[0] === 'master';
        });
        return currentMasterPort();
      },
      close: () => topology.close(),
    };
  } catch (error) {
    await topology.close();
    throw error;
  }
}
