import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createLogger,
  type Logger,
  parseDuration,
  type SecretKeySource,
  secretKeySourceFromEnv,
} from '@gatehouse/core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { type PasswordHashing, setPasswordHashing } from './auth/passwords.js';
import { bootstrap } from './bootstrap.js';
import { type Database, openDatabase } from './db/connect.js';
import { migrate } from './db/migrate.js';
import { type ChangeLogRetention, DEFAULT_CHANGE_LOG_RETENTION } from './hybrid/change-horizon.js';
import { createSmtpMailer, type SmtpOptions, smtpOptionsFromEnv } from './mail/mailer.js';
import { resolveSecretBox, sealStoredSecrets } from './secrets/startup.js';
import { DEFAULT_ANALYTICS_RETENTION_MS, startRetention } from './services/retention.js';

/** Reports the slow steps of a start (the CLI prints each with its time). */
export interface StartProgress {
  step<T>(label: string, run: () => Promise<T>): Promise<T>;
}

const NO_PROGRESS: StartProgress = { step: (_label, run) => run() };

export interface ControlPlaneOptions {
  progress?: StartProgress;
  port?: number;
  /** Loopback unless told otherwise: the management API is not for the open internet by default. */
  host?: string;
  /** postgres://... ; embedded PGlite under `dataDir` when absent. */
  databaseUrl?: string;
  dataDir?: string;
  adminEmail?: string;
  adminPassword?: string;
  logger?: Logger;
  /** PostgreSQL schema (search_path), for isolated test runs. */
  databaseSchema?: string;
  /** Expected gateway heartbeat interval; default GATEHOUSE_HEARTBEAT_INTERVAL or 60 s. */
  heartbeatIntervalMs?: number;
  /**
   * Analytics records older than this are deleted (hourly, in batches); 0 keeps them forever. Default
   * GATEHOUSE_ANALYTICS_RETENTION or 30 days.
   */
  analyticsRetentionMs?: number;
  /**
   * The change log's horizon (hourly): rows older than `maxAgeMs` or beyond the newest `keep` per
   * environment are pruned; a gateway behind it gets a snapshot. Default GATEHOUSE_CHANGE_LOG_RETENTION
   * (a duration, or 0/off) and GATEHOUSE_CHANGE_LOG_KEEP (a count, or 0/off), else 7 days and 10,000.
   */
  changeLogRetention?: ChangeLogRetention;
  /** Key of secrets at rest; default GATEHOUSE_SECRET_KEY / GATEHOUSE_SECRET_KEY_FILE. */
  secretKey?: SecretKeySource;
  /**
   * Embedded database without a configured key: the key file, created on first start. Default
   * `secret.key` in the data directory (`./.gatehouse/data/secret.key`).
   */
  secretKeyFile?: string;
  /** HTTPS listener: PEM certificate chain and key files. */
  tls?: { certFile: string; keyFile: string };
  /**
   * Behind a TLS-terminating proxy: which proxies' X-Forwarded-For to believe (Fastify's trustProxy:
   * addresses/CIDRs, or true). Default GATEHOUSE_TRUST_PROXY; unset trusts none, so the
   * login throttle keys on the proxy's address.
   */
  trustProxy?: boolean | string;
  /** Outgoing mail; default from GATEHOUSE_SMTP_URL / GATEHOUSE_SMTP_FROM (none when unset). */
  smtp?: SmtpOptions;
  /**
   * Public base URL of the control plane, for links in mails (e.g. https://api.example.com).
   * Default GATEHOUSE_PUBLIC_URL, else the listening URL.
   */
  publicUrl?: string;
  /** Cost of new password hashes; tests only (a weak cost is never read from the environment). */
  passwordHashing?: PasswordHashing;
}

/** `GATEHOUSE_TRUST_PROXY`: `true`, or a comma list of proxy addresses / CIDRs. */
export function trustProxyFromEnv(value: string | undefined): boolean | string | undefined {
  const text = value?.trim();
  if (!text || text === 'false') return undefined;
  return text === 'true' ? true : text;
}

/** `GATEHOUSE_ANALYTICS_RETENTION`: a duration (`30d`, `12h`), or `0` / `off` to keep records forever. */
export function analyticsRetentionFromEnv(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_ANALYTICS_RETENTION_MS;
  const text = value.trim().toLowerCase();
  if (text === '0' || text === 'off') return 0;
  try {
    return parseDuration(text);
  } catch {
    throw new Error(`GATEHOUSE_ANALYTICS_RETENTION: "${value}" is not a duration (e.g. 30d, 12h) nor 0/off`);
  }
}

/** `GATEHOUSE_CHANGE_LOG_RETENTION` (duration, 0/off) and `GATEHOUSE_CHANGE_LOG_KEEP` (count, 0/off). */
export function changeLogRetentionFromEnv(maxAge: string | undefined, keep: string | undefined): ChangeLogRetention {
  const off = (text: string) => text === '0' || text === 'off';
  const age = maxAge?.trim().toLowerCase() ?? '';
  const count = keep?.trim().toLowerCase() ?? '';
  let maxAgeMs = DEFAULT_CHANGE_LOG_RETENTION.maxAgeMs;
  if (age !== '') {
    try {
      maxAgeMs = off(age) ? 0 : parseDuration(age);
    } catch {
      throw new Error(`GATEHOUSE_CHANGE_LOG_RETENTION: "${maxAge}" is not a duration (e.g. 7d, 12h) nor 0/off`);
    }
  }
  if (count !== '' && !off(count) && !/^[1-9][0-9]{0,8}$/.test(count))
    throw new Error(`GATEHOUSE_CHANGE_LOG_KEEP: "${keep}" is not a positive count nor 0/off`);
  return { maxAgeMs, keep: count === '' ? DEFAULT_CHANGE_LOG_RETENTION.keep : off(count) ? 0 : Number(count) };
}

export interface ControlPlane {
  url: string;
  port: number;
  app: FastifyInstance;
  db: Database;
  /** The gateway protocol's pool (the same as `db` on PGlite). */
  protocolDb: Database;
  databaseKind: 'postgres' | 'pglite';
  /** Present when this start created the admin with a generated password. */
  generatedAdminPassword?: string;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8082;
export const DEFAULT_DATA_DIR = './.gatehouse/data';

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const logger = options.logger ?? createLogger({ name: 'control-plane' });
  const progress = options.progress ?? NO_PROGRESS;
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  const label = options.databaseUrl
    ? 'opening the database (PostgreSQL)'
    : existsSync(dataDir)
      ? `opening the database (embedded PGlite under ${dataDir})`
      : `creating the embedded database under ${dataDir} (first start only; can take a minute)`;
  const handle = await progress.step(label, () =>
    openDatabase({
      databaseUrl: options.databaseUrl,
      dataDir: options.databaseUrl ? undefined : (options.dataDir ?? DEFAULT_DATA_DIR),
      searchPath: options.databaseSchema,
      logger,
    }),
  );
  let retention: ReturnType<typeof startRetention> | undefined;
  try {
    const analyticsRetentionMs =
      options.analyticsRetentionMs ?? analyticsRetentionFromEnv(process.env.GATEHOUSE_ANALYTICS_RETENTION);
    const migrated = await progress.step('migrating the database', () => migrate(handle.db));
    if (migrated.applied.length > 0) logger.info({ applied: migrated.applied }, 'database migrated');
    const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
    const secrets = await resolveSecretBox(
      handle.db,
      options.secretKey ?? secretKeySourceFromEnv(),
      options.databaseUrl ? undefined : (options.secretKeyFile ?? join(dataDir, 'secret.key')),
    );
    if (secrets.createdKeyFile) {
      process.stderr.write(
        `\nGatehouse control plane: generated the key that encrypts stored secrets in\n\n    ${secrets.createdKeyFile}\n\nKeep it with the data (a backup without it cannot be read); set GATEHOUSE_SECRET_KEY in production.\n\n`,
      );
    }
    const tls = options.tls
      ? { cert: await readFile(options.tls.certFile), key: await readFile(options.tls.keyFile) }
      : undefined;
    // Before bootstrap: the admin's password is the first hash.
    setPasswordHashing(options.passwordHashing);
    const boot = await bootstrap(handle.db, { adminEmail: options.adminEmail, adminPassword: options.adminPassword });
    if (boot.generatedPassword) {
      // Printed once, to the terminal only: the logger would (rightly) redact it.
      process.stderr.write(
        `\nGatehouse control plane: created admin ${boot.adminEmail} with password\n\n    ${boot.generatedPassword}\n\nIt is not shown again; change it with PATCH /api/v1/users/{id}, or reset a lost one with\n  gatehouse admin reset-password --email ${boot.adminEmail}\n\n`,
      );
    }
    const heartbeat = process.env.GATEHOUSE_HEARTBEAT_INTERVAL;
    const smtp = options.smtp ?? smtpOptionsFromEnv();
    const mailer = smtp ? createSmtpMailer(smtp) : undefined;
    const host = options.host ?? '127.0.0.1';
    const listenUrl = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${options.port ?? DEFAULT_PORT}`;
    const app = await buildApp({
      mailer,
      publicUrl: options.publicUrl ?? (process.env.GATEHOUSE_PUBLIC_URL?.trim() || listenUrl),
      db: handle.db,
      protocolDb: handle.protocolDb,
      analyticsDb: handle.analyticsDb,
      orgId: boot.orgId,
      secretBox: secrets.box,
      tls,
      trustProxy: options.trustProxy ?? trustProxyFromEnv(process.env.GATEHOUSE_TRUST_PROXY),
      logger,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? (heartbeat ? parseDuration(heartbeat) : undefined),
      passwordHashing: options.passwordHashing,
    });
    // After buildApp: the signing key opened, so the key is the right one.
    const resealed = await sealStoredSecrets(handle.db, secrets.box);
    if (resealed > 0) logger.info({ rows: resealed }, 'secrets stored in clear are now encrypted');
    await progress.step('starting the management API', () => app.listen({ port: options.port ?? DEFAULT_PORT, host }));
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : (options.port ?? DEFAULT_PORT);
    const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
    logger.info({ url, database: handle.kind }, 'control plane listening');
    const changeLog =
      options.changeLogRetention ??
      changeLogRetentionFromEnv(process.env.GATEHOUSE_CHANGE_LOG_RETENTION, process.env.GATEHOUSE_CHANGE_LOG_KEEP);
    retention = startRetention(handle.db, { analyticsRetentionMs, changeLog, logger });
    return {
      url,
      port,
      app,
      db: handle.db,
      protocolDb: handle.protocolDb,
      databaseKind: handle.kind,
      ...(boot.generatedPassword ? { generatedAdminPassword: boot.generatedPassword } : {}),
      async close() {
        await retention?.stop();
        await app.close();
        mailer?.close();
        await handle.close();
      },
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
