/**
 * A gateway in hybrid mode: the standalone gateway started empty, fed by a control plane
 * (config sync, heartbeat, analytics), with a last-known-good backup and an analytics spool on disk.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { PROTOCOL_VERSION } from '@gatehouse/config';
import { createLogger, exitOnShutdownSignals } from '@gatehouse/core';
import { capabilities } from '@gatehouse/policies';
import { type ApplyResult, type GatewayOptions, type RunningGateway, startGateway } from '../gateway.js';
import type { RequestRecord } from '../handler.js';
import { AnalyticsShipper, toAnalyticsRecord } from './analytics.js';
import { BackupStore } from './backup.js';
import { ConfigSync, type ControlPlaneState } from './config-sync.js';
import { ControlPlaneClient } from './control-plane-client.js';
import { appliedRevisions } from './document-state.js';
import { type HeartbeatPayload, HeartbeatReporter, RequestCounts } from './heartbeat.js';
import type { ClientIpAnonymization } from './ip-anonymization.js';
import { HybridMetrics } from './metrics.js';
import { RecentErrors } from './recent-errors.js';
import { DiskSpool } from './spool.js';

export const DEFAULT_BACKUP_DIR = './.gatehouse/gateway-backup';

export interface HybridGatewayOptions extends Omit<GatewayOptions, 'configFile' | 'document' | 'allowEmpty' | 'watch'> {
  controlPlaneUrl: string;
  /** Identifies the gateway and its environment; also keys the backup encryption. */
  token: string;
  /** Backup, pinned key and analytics spool live here. */
  backupDir?: string;
  /** Keep a last-known-good config backup (default true). */
  backup?: boolean;
  /** Pins the control-plane signing key (PEM) instead of trusting the first one seen. */
  controlPlanePublicKey?: string;
  heartbeatIntervalMs?: number;
  pollIntervalMs?: number;
  clientIpAnonymization?: ClientIpAnonymization;
  analyticsBatchSize?: number;
  analyticsIntervalMs?: number;
  analyticsSpoolMaxBytes?: number;
  instanceId?: string;
}

export interface HybridStatus {
  instanceId: string;
  controlPlane: ControlPlaneState;
  cursor: string | undefined;
  configVersion: string | undefined;
  servingFromBackup: boolean;
  stalenessSeconds: number;
  analytics: { buffered: number; spooledRecords: number };
  errors: Array<{ at: string; message: string }>;
}

export interface HybridGateway extends RunningGateway {
  hybrid: {
    status(): HybridStatus;
    syncNow(): Promise<void>;
    heartbeatNow(): Promise<void>;
    flushAnalytics(): Promise<void>;
  };
}

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export async function startHybridGateway(options: HybridGatewayOptions): Promise<HybridGateway> {
  const {
    controlPlaneUrl,
    token,
    backupDir = DEFAULT_BACKUP_DIR,
    heartbeatIntervalMs = 60_000,
    clientIpAnonymization = 'none',
    handleSignals,
    onRecord,
    ...gatewayOptions
  } = options;
  const logger = options.logger ?? createLogger({ name: 'gateway' });
  const instanceId = options.instanceId ?? randomUUID();
  const stateDir = path.resolve(backupDir);
  const client = new ControlPlaneClient(controlPlaneUrl, token);
  const errors = new RecentErrors();
  const counts = new RequestCounts();
  const startedAt = Date.now();

  let shipper: AnalyticsShipper | undefined;
  const gateway = await startGateway({
    ...gatewayOptions,
    logger,
    allowEmpty: true,
    onRecord: (record: RequestRecord) => {
      counts.count(record.status);
      shipper?.add(toAnalyticsRecord(record, clientIpAnonymization));
      onRecord?.(record);
    },
  });

  let sync: ConfigSync | undefined;
  let spool: DiskSpool | undefined;
  const metrics = new HybridMetrics(gateway.metrics.registry, {
    staleness: () => sync?.stalenessSeconds() ?? 0,
    spooledRecords: () => spool?.records ?? 0,
  });
  spool = new DiskSpool(path.join(stateDir, 'spool'), options.analyticsSpoolMaxBytes ?? 50 * 1024 * 1024, (records) => {
    metrics.analyticsDropped.inc(records);
    logger.warn({ records }, 'analytics spool full: dropped the oldest batch');
  });
  await spool.open();
  shipper = new AnalyticsShipper({
    send: (records) => client.analytics(records),
    spool,
    logger,
    onSent: (n) => metrics.analyticsSent.inc(n),
    onDropped: (n) => metrics.analyticsDropped.inc(n),
    ...(options.analyticsBatchSize ? { batchSize: options.analyticsBatchSize } : {}),
    ...(options.analyticsIntervalMs ? { intervalMs: options.analyticsIntervalMs } : {}),
  });
  shipper.start();

  const buildHeartbeat = (): HeartbeatPayload => ({
    protocol: PROTOCOL_VERSION,
    instanceId,
    version: VERSION,
    hostname: os.hostname(),
    configVersion: gateway.current()?.version ?? null,
    cursor: sync?.cursor ?? null,
    appliedRevisions: sync?.held ? appliedRevisions(sync.held.document) : {},
    uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
    requests: counts.toJSON(),
    capabilities: capabilities(),
    backup: { servingFromBackup: sync?.servingFromBackup ?? false, stalenessSeconds: sync?.stalenessSeconds() ?? 0 },
    errors: errors.list(),
  });
  const heartbeat = new HeartbeatReporter(client, heartbeatIntervalMs, buildHeartbeat, logger, metrics);

  sync = new ConfigSync({
    client,
    apply: (document) => gateway.apply(document),
    backup: options.backup === false ? undefined : new BackupStore(stateDir, token),
    stateDir,
    publicKeyPem: options.controlPlanePublicKey,
    logger,
    metrics,
    errors,
    onConfigEvent: () => void heartbeat.sendNow(),
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
  });
  await sync.initial();
  sync.start();
  heartbeat.start();
  logger.info(
    {
      url: gateway.url,
      admin: gateway.adminUrl,
      controlPlane: controlPlaneUrl,
      instanceId,
      ready: Boolean(gateway.current()),
      servingFromBackup: sync.servingFromBackup,
    },
    'hybrid gateway started',
  );

  const closeGateway = gateway.close;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await sync.stop();
      await heartbeat.stop();
      // Drain first: the last requests' records are shipped (or spooled) below.
      await closeGateway();
      await shipper.close();
    })();
    return closing;
  };

  if (handleSignals) {
    process.on('SIGHUP', () => void sync.syncNow());
    exitOnShutdownSignals(close, logger);
  }

  const hybrid: HybridGateway['hybrid'] = {
    status: () => ({
      instanceId,
      controlPlane: sync.state,
      cursor: sync.cursor,
      configVersion: gateway.current()?.version,
      servingFromBackup: sync.servingFromBackup,
      stalenessSeconds: sync.stalenessSeconds(),
      analytics: { buffered: shipper.buffered, spooledRecords: spool.records },
      errors: errors.list(),
    }),
    syncNow: () => sync.syncNow(),
    heartbeatNow: () => heartbeat.sendNow(),
    flushAnalytics: () => shipper.flush(),
  };
  // In hybrid mode "reload" means "sync with the control plane now".
  const reload = async (): Promise<ApplyResult> => {
    await sync.syncNow();
    const version = gateway.current()?.version;
    return version
      ? { ok: true, version, problems: [] }
      : { ok: false, problems: [{ path: '', message: 'no config from the control plane yet' }] };
  };
  return Object.assign(gateway, { close, reload, hybrid });
}
