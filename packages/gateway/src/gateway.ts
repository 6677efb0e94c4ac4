import { type FSWatcher, watch } from 'node:fs';
import type http from 'node:http';
import type http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  type ConfigDocument,
  type ConfigProblem,
  inspectDocument,
  parseConfigText,
  readConfigFile,
} from '@gatehouse/config';
import { createLogger, exitOnShutdownSignals, type Logger, parseDuration, parseSize } from '@gatehouse/core';
import { ConfigError, createStores, type NodeLimits, type Stores } from '@gatehouse/policies';
import { checkDocumentPolicies } from '@gatehouse/policies/catalog';
import { createAdminServer } from './admin.js';
import { type CompileDependencies, type CompiledConfig, compileConfig } from './compile.js';
import { configFingerprint } from './config-files.js';
import { ConfigHolder } from './config-holder.js';
import { type CredentialPatch, checkCredentialPatch } from './credential-patch.js';
import type { CredentialIndex } from './credentials.js';
import { createRequestHandler, type RequestRecord } from './handler.js';
import { GatewayMetrics } from './metrics.js';
import { prepareConfig } from './prepare.js';
import {
  closeHttp2Sessions,
  createHttpServer,
  createTlsServer,
  type ListenerLimits,
  type TlsOptions,
  updateListenerLimits,
} from './server.js';
import { PoolManager } from './upstream/index.js';

export interface GatewayOptions {
  /** Standalone mode: the YAML/JSON document to serve (watched for changes, reloaded on SIGHUP). */
  configFile?: string;
  /** Where relative paths of the document resolve (default: the config file's directory, or the working directory). */
  baseDir?: string;
  /** A document given directly (tests, embedding). */
  document?: unknown;
  host?: string;
  port?: number;
  adminHost?: string;
  adminPort?: number;
  tls?: TlsOptions & { port: number };
  redisUrl?: string;
  logger?: Logger;
  /** `stdout` (default): one JSON line per request; `off`; or a function receiving each record. */
  accessLog?: 'stdout' | 'off' | ((record: RequestRecord) => void);
  onRecord?: (record: RequestRecord) => void;
  /** Watch configFile for changes (default true when configFile is set). */
  watch?: boolean;
  /** Install SIGHUP (reload) and SIGTERM/SIGINT (drain and exit) handlers. */
  handleSignals?: boolean;
  /** Whether the gateway may serve before a config is loaded (hybrid mode answers 503 until then). */
  allowEmpty?: boolean;
  /** Listen with SO_REUSEPORT, so the workers of one node each have their own listening socket. */
  reusePort?: boolean;
  /** Start the admin server (default true; a node's workers leave it to the primary). */
  admin?: boolean;
  /** Report process metrics (default true; the threads of a node share a process: its primary reports them once). */
  processMetrics?: boolean;
  /** Counter and cache stores given by the caller (a worker's, backed by its primary) instead of its own. */
  stores?: Stores;
  /** Node-wide spike-arrest buckets and concurrency slots (a worker's, held by its primary). */
  nodeLimits?: NodeLimits;
}

/** A compiled document not yet serving: commit() swaps it in, discard() frees it. */
export type PreparedConfig =
  | (ApplyResult & { ok: false })
  | (ApplyResult & { ok: true; version: string; commit(): void; discard(): void });

export interface ApplyResult {
  ok: boolean;
  version?: string;
  problems: ConfigProblem[];
  unchanged?: boolean;
}

export interface RunningGateway {
  url: string;
  port: number;
  adminUrl: string;
  adminPort: number;
  httpsUrl: string | undefined;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Validates, compiles and atomically swaps in a document; the old one keeps serving on failure. */
  apply(document: unknown): ApplyResult;
  /** apply() in two steps, so a node swaps all its workers only once every one of them compiled the document. */
  prepare(document: unknown): PreparedConfig;
  /**
   * apply() for large documents (hybrid snapshots): the slow parts off the event loop while the current
   * version serves, then the swap; one at a time with file reloads.
   */
  applyAsync(document: unknown): Promise<ApplyResult>;
  /** prepare() with the slow parts off the event loop (a node's workers); nothing is swapped. */
  prepareAsync(document: unknown): Promise<PreparedConfig>;
  /** A credential delta onto the config being served, without compiling it again (credential-patch.ts). */
  applyCredentials(patch: CredentialPatch): ApplyResult;
  /** applyCredentials() in two steps, as prepare() (a node's workers). */
  prepareCredentials(patch: CredentialPatch): PreparedConfig;
  /**
   * A definition delta (hybrid protocol 4): compiles `definition` (a document without applications)
   * keeping the served credential index, which `patch` updates when the new version commits. Costs a
   * route compile, not a reindex of every key. One at a time with reloads and applyAsync().
   */
  applyDefinition(definition: Record<string, unknown>, patch: CredentialPatch): Promise<ApplyResult>;
  /** Re-reads configFile and applies it (slow parts off the event loop; one reload at a time). */
  reload(): Promise<ApplyResult>;
  current(): CompiledConfig | undefined;
  /** Requests being served (all config generations). */
  inFlight(): number;
  /** Stops accepting, lets in-flight requests finish (up to the drain timeout), frees everything. */
  close(): Promise<void>;
}

const DEFAULTS = {
  maxHeaderSize: '16kb',
  headersTimeout: '10s',
  requestTimeout: '60s',
  keepAliveTimeout: '5s',
  drainTimeout: '30s',
};

/** The listener settings of a document (defaults where it says nothing). */
function listenerLimits(settings: ConfigDocument['gateway'] = {}): ListenerLimits & { drainTimeoutMs: number } {
  return {
    maxHeaderSize: parseSize(settings.maxHeaderSize ?? DEFAULTS.maxHeaderSize),
    headersTimeoutMs: parseDuration(settings.headersTimeout ?? DEFAULTS.headersTimeout),
    requestTimeoutMs: parseDuration(settings.requestTimeout ?? DEFAULTS.requestTimeout),
    keepAliveTimeoutMs: parseDuration(settings.keepAliveTimeout ?? DEFAULTS.keepAliveTimeout),
    drainTimeoutMs: parseDuration(settings.drainTimeout ?? DEFAULTS.drainTimeout),
    http2MaxConcurrentStreams: settings.http2MaxConcurrentStreams ?? 100,
  };
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger({ name: 'gateway' });
  const metrics = new GatewayMetrics({ defaultMetrics: options.processMetrics !== false });
  const holder = new ConfigHolder(logger, () => void pools.collect());
  const pools = new PoolManager({ logger });
  metrics.trackInFlight(() => holder.inFlight);
  const stores =
    options.stores ??
    createStores({
      ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
      logger,
      onFallback: () => metrics.redisFallbacks.inc(),
    });
  // With Redis, wait briefly for the connection so the first requests are already counted in Redis.
  if (options.redisUrl) await stores.ready(2000);
  const baseDir =
    options.baseDir ?? (options.configFile ? path.dirname(path.resolve(options.configFile)) : process.cwd());
  let lastText: string | undefined;
  let shuttingDown = false;
  const tunnels = new Set<import('node:stream').Duplex>();
  /** The listeners, once started: a new document's limits apply to them (hybrid gateways start with none). */
  const listeners: Array<http.Server | http2.Http2SecureServer> = [];

  const compileDeps: CompileDependencies = {
    logger,
    metrics,
    counters: stores.counters,
    responseCache: stores.responseCache,
    ...(options.nodeLimits ? { nodeLimits: options.nodeLimits } : {}),
    pools,
    baseDir,
    upstreamObserver: {
      onUpstreamError: (api, target, kind) => metrics.upstreamErrors.labels(api, target, kind).inc(),
      onCircuitStateChange: (api, state) =>
        metrics.circuitState.labels(api).set(state === 'open' ? 1 : state === 'half-open' ? 0.5 : 0),
    },
  };

  /** Structure, references and policy configs in one pass: a refused reload logs every problem at once. */
  const inspect = (raw: unknown): { document: ConfigDocument } | ApplyResult => {
    const inspected = inspectDocument(raw);
    if (inspected.problems.length === 0) return { document: inspected.value as ConfigDocument };
    metrics.configReloads.labels('failure').inc();
    // A document without structural problems gets its policy checks from compileConfig (once, not twice).
    return { ok: false, problems: [...inspected.problems, ...checkDocumentPolicies(inspected.value)] };
  };

  /** Compiles an inspected document without serving it; `prepared` holds what prepareConfig() did first. */
  const compile = (
    document: ConfigDocument,
    prepared?: Map<string, unknown>,
    kept?: { credentials: CredentialIndex; patch: CredentialPatch },
  ): PreparedConfig => {
    let compiled: CompiledConfig;
    try {
      compiled = compileConfig(document, {
        ...compileDeps,
        ...(prepared ? { prepared } : {}),
        ...(kept ? { credentials: kept.credentials } : {}),
      });
    } catch (error) {
      metrics.configReloads.labels('failure').inc();
      if (error instanceof ConfigError) return { ok: false, problems: error.problems };
      throw error;
    }
    // The kept index's patch is checked against the new version's APIs and plans.
    const checked = kept ? checkCredentialPatch(compiled, kept.patch) : undefined;
    if (checked && !checked.ok) {
      metrics.configReloads.labels('failure').inc();
      void compiled.close();
      return { ok: false, problems: checked.problems };
    }
    let settled = false;
    return {
      ok: true,
      version: compiled.version,
      problems: [],
      commit: () => {
        if (settled) return;
        settled = true;
        if (checked?.ok) compiled.credentials.patch(checked.patch);
        holder.swap(compiled);
        const limits = listenerLimits(compiled.document.gateway);
        for (const listener of listeners) updateListenerLimits(listener, limits);
        metrics.configReloads.labels('success').inc();
        metrics.setConfigVersion(compiled.version);
        logger.info(
          { configVersion: compiled.version, apis: compiled.apis.length, keys: compiled.keyCount },
          'config applied',
        );
      },
      discard: () => {
        if (settled) return;
        settled = true;
        void compiled.close();
      },
    };
  };

  const prepare = (raw: unknown): PreparedConfig => {
    const inspected = inspect(raw);
    return 'document' in inspected ? compile(inspected.document) : { ...inspected, ok: false };
  };

  const commitNow = (prepared: PreparedConfig): ApplyResult => {
    if (!prepared.ok) return prepared;
    prepared.commit();
    return { ok: true, version: prepared.version, problems: [] };
  };

  const apply = (raw: unknown): ApplyResult => commitNow(prepare(raw));

  /** Checked against the version served now; commit() patches that version (applies and patches take turns). */
  const prepareCredentials = (patch: CredentialPatch): PreparedConfig => {
    const config = holder.current;
    if (!config) return { ok: false, problems: [{ path: '', message: 'no config to apply credentials to' }] };
    const checked = checkCredentialPatch(config, patch);
    if (!checked.ok) {
      metrics.configReloads.labels('failure').inc();
      return { ok: false, problems: checked.problems };
    }
    let settled = false;
    return {
      ok: true,
      version: config.version,
      problems: [],
      commit: () => {
        if (settled) return;
        settled = true;
        config.credentials.patch(checked.patch);
        logger.info(
          {
            configVersion: config.version,
            upserted: checked.patch.upsert.length,
            deleted: checked.patch.delete.length,
            keys: config.keyCount,
          },
          'credential delta applied',
        );
      },
      discard: () => {
        settled = true;
      },
    };
  };

  /**
   * apply() with the slow part first: large documents are read, checked and indexed off the event
   * loop (prepareConfig) while the current version serves; only the short compile and the swap are synchronous.
   */
  const prepareAsync = async (raw: unknown): Promise<PreparedConfig> => {
    const inspected = inspect(raw);
    if (!('document' in inspected)) return { ...inspected, ok: false };
    const prepared = await prepareConfig(inspected.document, compileDeps);
    return compile(inspected.document, prepared);
  };
  const applyPrepared = async (raw: unknown): Promise<ApplyResult> => commitNow(await prepareAsync(raw));

  const prepareDefinitionAsync = async (
    definition: Record<string, unknown>,
    patch: CredentialPatch,
  ): Promise<PreparedConfig> => {
    const served = holder.current;
    if (!served) return { ok: false, problems: [{ path: '', message: 'no config whose credentials to keep' }] };
    // Checked and compiled without applications: the served index stands for them.
    const inspected = inspect({ ...definition, applications: [] });
    if (!('document' in inspected)) return { ...inspected, ok: false };
    const prepared = await prepareConfig(inspected.document, compileDeps);
    return compile(inspected.document, prepared, { credentials: served.credentials, patch });
  };

  const reloadNow = async (): Promise<ApplyResult> => {
    if (!options.configFile) return { ok: false, problems: [{ path: '', message: 'no config file to reload' }] };
    const read = await readConfigFile(options.configFile);
    if (!read.ok) {
      metrics.configReloads.labels('failure').inc();
      logger.error({ problems: read.problems }, 'config reload refused; still serving the last good config');
      return { ok: false, problems: read.problems };
    }
    // The referenced files count too: SIGHUP after editing only the OpenAPI document reloads it.
    const hash = await configFingerprint(read.text, read.value, baseDir);
    if (hash === lastText && holder.current)
      return { ok: true, version: holder.current.version, problems: [] as ConfigProblem[], unchanged: true };
    const result = await applyPrepared(read.value);
    if (result.ok) lastText = hash;
    else logger.error({ problems: result.problems }, 'config reload refused; still serving the last good config');
    return result;
  };

  // One reload at a time (a SIGHUP during a reload waits for it): versions are applied in order.
  let reloads: Promise<unknown> = Promise.resolve();
  const inTurn = (run: () => Promise<ApplyResult>): Promise<ApplyResult> => {
    const next = reloads.then(run);
    reloads = next.catch(() => undefined);
    return next;
  };
  const reload = (): Promise<ApplyResult> => inTurn(reloadNow);
  const applyAsync = (raw: unknown): Promise<ApplyResult> =>
    inTurn(async () => {
      const result = await applyPrepared(raw);
      if (!result.ok) logger.error({ problems: result.problems }, 'config refused; still serving the last good config');
      return result;
    });

  // First load: a standalone gateway refuses to start on an invalid document.
  if (options.configFile) {
    const result = await reload();
    if (!result.ok) {
      await stores.close();
      throw new ConfigError(result.problems);
    }
  } else if (options.document !== undefined) {
    const raw =
      typeof options.document === 'string'
        ? parseConfigText(options.document)
        : { ok: true as const, value: options.document };
    if (!raw.ok) throw new ConfigError(raw.problems);
    const result = apply(raw.value);
    if (!result.ok) {
      await stores.close();
      throw new ConfigError(result.problems);
    }
  } else if (!options.allowEmpty) {
    throw new Error('a config file or document is required');
  }
  const initialDocument = holder.current?.document;

  const limits = listenerLimits(initialDocument?.gateway);

  const accessLogger =
    options.accessLog === 'off' || typeof options.accessLog === 'function' || !logger.isLevelEnabled('info')
      ? undefined
      : logger.child({ kind: 'access' });
  const accessLog =
    typeof options.accessLog === 'function'
      ? options.accessLog
      : accessLogger
        ? (record: RequestRecord) => accessLogger.info(record, 'request')
        : undefined;
  const handle = createRequestHandler({
    holder,
    metrics,
    logger,
    accessLog,
    ...(options.onRecord ? { onRecord: options.onRecord } : {}),
    isShuttingDown: () => shuttingDown,
    tunnels,
    uploads: new Map(),
  });

  const server = createHttpServer(handle, limits);
  const reusePort = options.reusePort ?? false;
  await listen(server, options.port ?? 8080, options.host ?? '0.0.0.0', reusePort);
  listeners.push(server);
  let tlsServer: http2.Http2SecureServer | undefined;
  if (options.tls) {
    // Ask TLS clients for a certificate only when an mtls plan needs one (browsers may prompt otherwise).
    const usesMtls =
      initialDocument?.apis.some((api) => api.plans.some((plan) => plan.security.type === 'mtls')) ?? false;
    tlsServer = createTlsServer(handle, limits, {
      ...options.tls,
      requestClientCert: options.tls.requestClientCert ?? usesMtls,
    });
    await listen(tlsServer as unknown as http.Server, options.tls.port, options.host ?? '0.0.0.0', reusePort);
    listeners.push(tlsServer);
  }
  const admin =
    options.admin === false
      ? undefined
      : createAdminServer(metrics, {
          ready: () => {
            if (shuttingDown) return { ready: false, reason: 'shutting down' };
            if (!holder.current) return { ready: false, reason: 'no configuration loaded' };
            return { ready: true };
          },
          status: () => ({
            configVersion: holder.current?.version,
            apis: holder.current?.apis.map((a) => ({ id: a.id, upstream: a.upstream.state() })),
            inFlight: holder.inFlight,
          }),
        });
  if (admin) await listen(admin, options.adminPort ?? 8081, options.adminHost ?? '127.0.0.1', false);

  let watcher: FSWatcher | undefined;
  if (options.configFile && options.watch !== false)
    watcher = watchFile(options.configFile, () => void reload(), logger);

  const port = (server.address() as AddressInfo).port;
  const adminPort = admin ? (admin.address() as AddressInfo).port : 0;
  const displayHost = (h: string | undefined) => (!h || h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h);

  const close = async (): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    watcher?.close();
    const servers = [server, ...(tlsServer ? [tlsServer as unknown as http.Server] : [])];
    const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const s of servers) s.closeIdleConnections?.();
    for (const s of servers) closeHttp2Sessions(s, true);
    // The drain timeout of the document being served (it may have changed since start).
    const deadline = Date.now() + listenerLimits(holder.current?.document.gateway).drainTimeoutMs;
    while (holder.inFlight > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      for (const s of servers) s.closeIdleConnections?.();
    }
    if (holder.inFlight > 0)
      logger.warn({ inFlight: holder.inFlight }, 'drain timeout reached; closing remaining connections');
    for (const s of servers) s.closeAllConnections?.();
    for (const s of servers) closeHttp2Sessions(s, false);
    for (const socket of tunnels) socket.destroy();
    await closed;
    if (admin) {
      await new Promise<void>((resolve) => admin.close(() => resolve()));
      admin.closeAllConnections();
    }
    await holder.close();
    await pools.close();
    await stores.close();
  };

  if (options.handleSignals) {
    process.on('SIGHUP', () => {
      logger.info('SIGHUP: reloading config');
      void reload();
    });
    exitOnShutdownSignals(close, logger);
  }

  return {
    url: `http://${displayHost(options.host)}:${port}`,
    port,
    adminUrl: `http://${displayHost(options.adminHost)}:${adminPort}`,
    adminPort,
    httpsUrl: tlsServer
      ? `https://${displayHost(options.host)}:${(tlsServer.address() as AddressInfo).port}`
      : undefined,
    metrics,
    logger,
    apply: (document) => {
      const result = apply(document);
      if (!result.ok) logger.error({ problems: result.problems }, 'config refused; still serving the last good config');
      return result;
    },
    prepare,
    applyAsync,
    prepareAsync,
    applyCredentials: (patch) => {
      const result = commitNow(prepareCredentials(patch));
      if (!result.ok) logger.error({ problems: result.problems }, 'credential delta refused; credentials unchanged');
      return result;
    },
    prepareCredentials,
    applyDefinition: (definition, patch) =>
      inTurn(async () => {
        const result = commitNow(await prepareDefinitionAsync(definition, patch));
        if (!result.ok)
          logger.error({ problems: result.problems }, 'definition refused; still serving the last good config');
        return result;
      }),
    reload,
    current: () => holder.current,
    inFlight: () => holder.inFlight,
    close,
  };
}

function listen(server: http.Server, port: number, host: string, reusePort: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, ...(reusePort ? { reusePort: true } : {}) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Watches the file's directory (editors replace files by rename), debounced. */
export function watchFile(file: string, onChange: () => void, logger: Logger): FSWatcher {
  const resolved = path.resolve(file);
  const base = path.basename(resolved);
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(path.dirname(resolved), (_event, name) => {
    if (name !== null && name !== base) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, 100);
  });
  watcher.on('error', (error) => logger.warn({ err: error }, 'config file watcher failed; SIGHUP still reloads'));
  watcher.unref();
  return watcher;
}
