/**
 * A gateway in hybrid mode: the standalone gateway started empty, fed by a control plane
 * (config sync, heartbeat, analytics), with a last-known-good backup and an analytics spool on disk.
 * A node of several workers (startHybridNode) has all of that once, in its primary: one control-plane
 * connection and one spool, configs fanned out to the workers, their records sent back to it.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { PROTOCOL_VERSION } from '@gatehouse/config';
import { createLogger, exitOnShutdownSignals, type Logger } from '@gatehouse/core';
import { capabilities } from '@gatehouse/policies';
import type { Registry } from 'prom-client';
import type { CredentialPatch } from '../credentials.js';
import { type ApplyResult, type GatewayOptions, type RunningGateway, startGateway } from '../gateway.js';
import type { RequestRecord } from '../handler.js';
import { type GatewayNode, startGatewayNode } from '../workers/node-gateway.js';
import { AnalyticsShipper, toAnalyticsRecord } from './analytics.js';
import { BackupStore } from './backup.js';
import { ConfigSync, type ControlPlaneState } from './config-sync.js';
import { ControlPlaneClient } from './control-plane-client.js';
import { appliedRevisions, definitionOf } from './document-state.js';
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

export interface HybridControls {
  status(): HybridStatus;
  syncNow(): Promise<void>;
  heartbeatNow(): Promise<void>;
  flushAnalytics(): Promise<void>;
}

export interface HybridGateway extends RunningGateway {
  hybrid: HybridControls;
}

export interface HybridNode extends Omit<GatewayNode, 'reload'> {
  hybrid: HybridControls;
  reload(): Promise<ApplyResult>;
}

/** What the control-plane side needs of the gateway it feeds: one process, or a node's primary. */
interface Served {
  url: string;
  adminUrl: string;
  registry: Registry;
  apply(document: unknown): Promise<ApplyResult>;
  /** A credential delta without compiling the document again. */
  applyCredentials(patch: CredentialPatch): ApplyResult | Promise<ApplyResult>;
  /** A definition delta keeping the credential index (one process; a node's workers apply the whole document). */
  applyDefinition?(definition: Record<string, unknown>, patch: CredentialPatch): Promise<ApplyResult>;
  version(): string | undefined;
  close(): Promise<void>;
}

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

type GatewayPart = Omit<
  HybridGatewayOptions,
  | 'controlPlaneUrl'
  | 'token'
  | 'backupDir'
  | 'backup'
  | 'controlPlanePublicKey'
  | 'heartbeatIntervalMs'
  | 'pollIntervalMs'
  | 'clientIpAnonymization'
  | 'analyticsBatchSize'
  | 'analyticsIntervalMs'
  | 'analyticsSpoolMaxBytes'
  | 'instanceId'
  | 'handleSignals'
>;

function gatewayPart(options: HybridGatewayOptions): GatewayPart {
  const {
    controlPlaneUrl: _url,
    token: _token,
    backupDir: _backupDir,
    backup: _backup,
    controlPlanePublicKey: _key,
    heartbeatIntervalMs: _heartbeat,
    pollIntervalMs: _poll,
    clientIpAnonymization: _anonymization,
    analyticsBatchSize: _batch,
    analyticsIntervalMs: _interval,
    analyticsSpoolMaxBytes: _spool,
    instanceId: _instance,
    handleSignals: _signals,
    ...rest
  } = options;
  return rest;
}

export async function startHybridGateway(options: HybridGatewayOptions): Promise<HybridGateway> {
  const logger = options.logger ?? createLogger({ name: 'gateway' });
  const records = new RecordSink(options);
  const gateway = await startGateway({ ...gatewayPart(options), logger, allowEmpty: true, onRecord: records.add });
  const attached = await attachControlPlane(
    {
      url: gateway.url,
      adminUrl: gateway.adminUrl,
      registry: gateway.metrics.registry,
      // The slow parts of a large snapshot (an inline OpenAPI document) off the event loop.
      apply: (document) => gateway.applyAsync(document),
      applyCredentials: (patch) => gateway.applyCredentials(patch),
      applyDefinition: (definition, patch) => gateway.applyDefinition(definition, patch),
      version: () => gateway.current()?.version,
      close: gateway.close,
    },
    options,
    logger,
    records,
  );
  return Object.assign(gateway, attached);
}

/** A hybrid gateway of `workers` worker threads: one control-plane connection and one spool for all. */
export async function startHybridNode(options: HybridGatewayOptions & { workers: number }): Promise<HybridNode> {
  const logger = options.logger ?? createLogger({ name: 'gateway' });
  const records = new RecordSink(options);
  const { accessLog, ...rest } = gatewayPart(options);
  const node = await startGatewayNode({
    ...rest,
    ...(accessLog === 'off' ? { accessLog: 'off' as const } : {}),
    workers: options.workers,
    logger,
    allowEmpty: true,
    onRecord: records.add,
  });
  const attached = await attachControlPlane(
    {
      url: node.url,
      adminUrl: node.adminUrl,
      registry: node.registry,
      apply: (document) => node.apply(document),
      applyCredentials: (patch) => node.applyCredentials(patch),
      version: () => node.current()?.version,
      close: node.close,
    },
    options,
    logger,
    records,
  );
  return Object.assign(node, attached);
}

/** Request records go to the heartbeat's counts and the analytics shipper, once both exist. */
class RecordSink {
  readonly counts = new RequestCounts();
  shipper: AnalyticsShipper | undefined;

  constructor(private readonly options: HybridGatewayOptions) {}

  readonly add = (record: RequestRecord): void => {
    this.counts.count(record.status);
    this.shipper?.add(toAnalyticsRecord(record, this.options.clientIpAnonymization ?? 'none'));
    this.options.onRecord?.(record);
  };
}

async function attachControlPlane(
  gateway: Served,
  options: HybridGatewayOptions,
  logger: Logger,
  records: RecordSink,
): Promise<{ close(): Promise<void>; reload(): Promise<ApplyResult>; hybrid: HybridControls }> {
  const {
    controlPlaneUrl,
    token,
    backupDir = DEFAULT_BACKUP_DIR,
    heartbeatIntervalMs = 60_000,
    handleSignals,
  } = options;
  const instanceId = options.instanceId ?? randomUUID();
  const stateDir = path.resolve(backupDir);
  const client = new ControlPlaneClient(controlPlaneUrl, token);
  const errors = new RecentErrors();
  const counts = records.counts;
  const startedAt = Date.now();

  let sync: ConfigSync | undefined;
  let spool: DiskSpool | undefined;
  const metrics = new HybridMetrics(gateway.registry, {
    staleness: () => sync?.stalenessSeconds() ?? 0,
    spooledRecords: () => spool?.records ?? 0,
  });
  spool = new DiskSpool(path.join(stateDir, 'spool'), options.analyticsSpoolMaxBytes ?? 50 * 1024 * 1024, (records) => {
    metrics.analyticsDropped.inc(records);
    logger.warn({ records }, 'analytics spool full: dropped the oldest batch');
  });
  await spool.open();
  const shipper = new AnalyticsShipper({
    send: (records) => client.analytics(records),
    spool,
    logger,
    onSent: (n) => metrics.analyticsSent.inc(n),
    onDropped: (n) => metrics.analyticsDropped.inc(n),
    ...(options.analyticsBatchSize ? { batchSize: options.analyticsBatchSize } : {}),
    ...(options.analyticsIntervalMs ? { intervalMs: options.analyticsIntervalMs } : {}),
  });
  shipper.start();
  records.shipper = shipper;

  const buildHeartbeat = (): HeartbeatPayload => ({
    protocol: PROTOCOL_VERSION,
    instanceId,
    version: VERSION,
    hostname: os.hostname(),
    configVersion: gateway.version() ?? null,
    cursor: sync?.cursor ?? null,
    // From the definition message: reading `held.document` would build the whole document.
    appliedRevisions: sync?.held ? appliedRevisions(definitionOf(sync.held.definition)) : {},
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
    applyCredentials: (patch) => gateway.applyCredentials(patch),
    ...(gateway.applyDefinition ? { applyDefinition: gateway.applyDefinition.bind(gateway) } : {}),
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
      ready: Boolean(gateway.version()),
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
      configVersion: gateway.version(),
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
    const version = gateway.version();
    return version
      ? { ok: true, version, problems: [] }
      : { ok: false, problems: [{ path: '', message: 'no config from the control plane yet' }] };
  };
  return { close, reload, hybrid };
}
