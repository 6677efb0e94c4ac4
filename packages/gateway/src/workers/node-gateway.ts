/**
 * `gatehouse gateway --workers N`: one primary and N worker threads on one port. The primary reads and
 * watches the config (or, in hybrid mode, is the node's one control-plane connection), holds the
 * node's counters and limits, serves the admin port with the node's metrics, and swaps every worker
 * to a new document together. Workers only serve traffic.
 */
import type { FSWatcher } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText, readConfigFile } from '@gatehouse/config';
import { createLogger, exitOnShutdownSignals, type Logger } from '@gatehouse/core';
import { ConfigError } from '@gatehouse/policies';
import { AggregatorRegistry, collectDefaultMetrics, Registry } from 'prom-client';
import { createAdminServer } from '../admin.js';
import { configFingerprint } from '../config-files.js';
import type { CredentialPatch } from '../credentials.js';
import { type ApplyResult, type GatewayOptions, watchFile } from '../gateway.js';
import type { RequestRecord } from '../handler.js';
import { WorkerPool } from './worker-pool.js';

export interface GatewayNodeOptions
  extends Omit<GatewayOptions, 'stores' | 'nodeLimits' | 'reusePort' | 'admin' | 'accessLog'> {
  /** Worker threads serving traffic (at least 1). */
  workers: number;
  accessLog?: 'stdout' | 'off';
  /**
   * Rate-limit/quota counters and spike-arrest cells in memory shared by the workers (default), or
   * every hit as a message to the primary (false; `GATEHOUSE_SHARED_COUNTERS=off`, for comparison).
   */
  sharedCounters?: boolean;
  /** Slots of the shared table (default 32,768: 16 MiB); what does not fit is counted by the primary. */
  sharedCounterSlots?: number;
}

export interface GatewayNode {
  url: string;
  port: number;
  adminUrl: string;
  adminPort: number;
  httpsUrl: string | undefined;
  logger: Logger;
  /** The primary's own metrics (process metrics; hybrid sync and analytics): part of the node's /metrics. */
  registry: Registry;
  pool: WorkerPool;
  /** Prepares the document on every worker, then commits it on all (or on none). */
  apply(document: unknown): Promise<ApplyResult>;
  /** A credential delta on every worker, without compiling (or on none). */
  applyCredentials(patch: CredentialPatch): Promise<ApplyResult>;
  /** Re-reads the config file and applies it. */
  reload(): Promise<ApplyResult>;
  current(): { version: string } | undefined;
  /** The node's metrics in the Prometheus text format: every worker's, summed once, and the primary's. */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

/** `auto` (one worker per CPU) or a positive count. */
export function parseWorkers(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || value === 'auto') return availableCpus();
  if (!/^[1-9][0-9]{0,3}$/.test(value)) return undefined;
  return Number(value);
}

export function availableCpus(): number {
  return Math.max(1, os.availableParallelism());
}

export async function startGatewayNode(options: GatewayNodeOptions): Promise<GatewayNode> {
  const logger = options.logger ?? createLogger({ name: 'gateway' });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_process_' });
  const baseDir =
    options.baseDir ?? (options.configFile ? path.dirname(path.resolve(options.configFile)) : process.cwd());
  const onRecord = options.onRecord;
  const pool = new WorkerPool({
    count: Math.max(1, options.workers),
    logger,
    sharedCounters: options.sharedCounters ?? process.env.GATEHOUSE_SHARED_COUNTERS !== 'off',
    ...(options.sharedCounterSlots ? { sharedCounterSlots: options.sharedCounterSlots } : {}),
    settings: {
      host: options.host ?? '0.0.0.0',
      port: options.port ?? 8080,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
      accessLog: options.accessLog ?? 'stdout',
      logLevel: logger.level,
      forwardRecords: onRecord !== undefined,
      baseDir,
    },
    ...(onRecord ? { onRecords: (records: RequestRecord[]) => records.forEach(onRecord) } : {}),
  });

  let lastHash: string | undefined;
  let shuttingDown = false;
  const readDocument = async (): Promise<{ ok: true; value: unknown; hash: string } | ApplyResult> => {
    if (!options.configFile) return { ok: false, problems: [{ path: '', message: 'no config file to reload' }] };
    const read = await readConfigFile(options.configFile);
    if (!read.ok) return { ok: false, problems: read.problems };
    return { ok: true, value: read.value, hash: await configFingerprint(read.text, read.value, baseDir) };
  };

  let initial: unknown;
  if (options.configFile) {
    const read = await readDocument();
    if (!('value' in read)) throw new ConfigError(read.problems);
    initial = read.value;
    lastHash = read.hash;
  } else if (options.document !== undefined) {
    const raw =
      typeof options.document === 'string'
        ? parseConfigText(options.document)
        : { ok: true as const, value: options.document };
    if (!raw.ok) throw new ConfigError(raw.problems);
    initial = raw.value;
  } else if (!options.allowEmpty) {
    throw new Error('a config file or document is required');
  }
  const ports = await pool.start(initial);

  const apply = async (document: unknown): Promise<ApplyResult> => {
    const result = await pool.apply(document);
    if (result.ok) logger.info({ configVersion: result.version, workers: pool.size }, 'config applied on every worker');
    else logger.error({ problems: result.problems }, 'config refused; every worker keeps serving the last good config');
    return result;
  };
  const applyCredentials = async (patch: CredentialPatch): Promise<ApplyResult> => {
    const result = await pool.applyCredentials(patch);
    if (!result.ok)
      logger.error({ problems: result.problems }, 'credential delta refused on the workers; credentials unchanged');
    return result;
  };
  const reload = async (): Promise<ApplyResult> => {
    const read = await readDocument();
    if (!('value' in read)) {
      logger.error({ problems: read.problems }, 'config reload refused; still serving the last good config');
      return read;
    }
    const version = pool.currentVersion;
    if (read.hash === lastHash && version) return { ok: true, version, problems: [], unchanged: true };
    const result = await apply(read.value);
    if (result.ok) lastHash = read.hash;
    return result;
  };

  const metrics = async (): Promise<string> => {
    const all = [await registry.getMetricsAsJSON(), ...(await pool.workerMetrics())];
    return AggregatorRegistry.aggregate(all as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
  };
  const admin = createAdminServer(
    { registry: { metrics, contentType: registry.contentType } },
    {
      ready: () => {
        if (shuttingDown) return { ready: false, reason: 'shutting down' };
        if (!pool.currentVersion) return { ready: false, reason: 'no configuration loaded' };
        if (pool.size === 0) return { ready: false, reason: 'no gateway worker running' };
        return { ready: true };
      },
      status: async () => ({
        configVersion: pool.currentVersion,
        workers: { running: pool.size, configured: options.workers, restarts: pool.restarts },
        ...(pool.host.table
          ? {
              sharedCounters: {
                slots: pool.host.table.capacity,
                placed: pool.host.table.placed,
                viaPrimary: pool.host.table.refused,
              },
            }
          : {}),
        inFlight: await pool.inFlight(),
      }),
    },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      admin.once('error', reject);
      admin.listen(options.adminPort ?? 8081, options.adminHost ?? '127.0.0.1', () => resolve());
    });
  } catch (error) {
    // The workers are already serving: without an admin port the node does not start at all.
    await pool.close();
    throw error;
  }

  // A full table is not an error (the primary counts what does not fit) but it is slower: say so.
  let refused = 0;
  const tableWatch = setInterval(() => {
    const now = pool.host.table?.refused ?? 0;
    if (now > refused)
      logger.warn(
        { viaPrimary: now - refused, slots: pool.host.table?.capacity },
        'shared counter table full (or keys too long): those hits went to the primary by message',
      );
    refused = now;
  }, 60_000);
  tableWatch.unref();

  let watcher: FSWatcher | undefined;
  if (options.configFile && options.watch !== false)
    watcher = watchFile(options.configFile, () => void reload(), logger);

  const close = async (): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    watcher?.close();
    clearInterval(tableWatch);
    // Every worker drains its own connections (up to the document's drain timeout) before it exits.
    await pool.close();
    await new Promise<void>((resolve) => admin.close(() => resolve()));
    admin.closeAllConnections();
  };
  if (options.handleSignals) {
    process.on('SIGHUP', () => {
      logger.info('SIGHUP: reloading config');
      void reload();
    });
    exitOnShutdownSignals(close, logger);
  }

  const displayHost = (h: string | undefined) => (!h || h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h);
  const adminPort = (admin.address() as AddressInfo).port;
  return {
    url: `http://${displayHost(options.host)}:${ports.port}`,
    port: ports.port,
    adminUrl: `http://${displayHost(options.adminHost)}:${adminPort}`,
    adminPort,
    httpsUrl: ports.tlsPort ? `https://${displayHost(options.host)}:${ports.tlsPort}` : undefined,
    logger,
    registry,
    pool,
    apply,
    applyCredentials,
    reload,
    current: () => {
      const version = pool.currentVersion;
      return version ? { version } : undefined;
    },
    metrics,
    close,
  };
}
