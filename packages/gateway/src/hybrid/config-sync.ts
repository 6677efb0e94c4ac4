/**
 * Keeps the gateway's config in step with the control plane: signed snapshot/delta messages from
 * `/sync`, triggered by the change stream, a poll as a fallback, backoff on errors. Nothing is
 * applied unless its signature verifies and the resulting document validates and compiles; the
 * last good config serves meanwhile. With the control plane unreachable at start, the local
 * backup is verified and served.
 */
import {
  type ConfigMessage,
  CURSOR_PATTERN,
  cursorSeq,
  type DefinitionMessage,
  type DeltaMessage,
  type SnapshotMessage,
} from '@gatehouse/config';
import type { Logger } from '@gatehouse/core';
import type { ApplyResult } from '../gateway.js';
import { aroundInterval, Backoff, type Random } from './backoff.js';
import type { BackupStore } from './backup.js';
import { followChangeStream } from './change-stream.js';
import { type ControlPlaneClient, ControlPlaneError } from './control-plane-client.js';
import {
  credentialPatch,
  definitionBehind,
  deltaMismatch,
  fromSnapshot,
  type HeldConfig,
  type HeldCredentialPatch,
  messagesOf,
  withCredentialsOf,
  withDefinition,
  withDelta,
} from './document-state.js';
import type { HybridMetrics } from './metrics.js';
import type { RecentErrors } from './recent-errors.js';
import { Trust } from './trust.js';
import { receiveSyncAnswer } from './verify-off-thread.js';

export interface ConfigSyncOptions {
  client: ControlPlaneClient;
  /**
   * Prepares (slow parts off the event loop) and then swaps in the document; resolves once it serves.
   * A node of several workers answers once all of them prepared (and then committed) it.
   */
  apply: (document: unknown) => Promise<ApplyResult>;
  /** A credential delta onto the config served, without compiling it; absent: the whole document is applied. */
  applyCredentials?: (patch: HeldCredentialPatch) => ApplyResult | Promise<ApplyResult>;
  /**
   * A definition delta: compiles `definition` (a document without applications) keeping the served
   * credential index, patched; absent: the whole document is applied.
   */
  applyDefinition?: (definition: Record<string, unknown>, patch: HeldCredentialPatch) => Promise<ApplyResult>;
  backup: BackupStore | undefined;
  /** Where the trusted keys, this gateway's binding and its position are kept. */
  stateDir: string;
  /** PEM pinned by the operator (GATEHOUSE_CP_PUBLIC_KEY); overrides trust on first use. */
  publicKeyPem: string | undefined;
  logger: Logger;
  metrics: HybridMetrics;
  errors: RecentErrors;
  /** Called after every applied or refused config (the heartbeat goes out at once). */
  onConfigEvent: () => void;
  /** Mean time between polls; each wait is jittered around it (backoff.ts). */
  pollIntervalMs?: number;
  initialTimeoutMs?: number;
  /** Source of jitter for polls and retries (tests pin it). */
  random?: Random;
}

const CURSOR = new RegExp(CURSOR_PATTERN);
/** After this many deltas the next sync asks for a snapshot, which also compacts the backup. */
const MAX_DELTAS = 100;
const BACKUP_CONFIRM_EVERY_MS = 60_000;

export type ControlPlaneState = 'connecting' | 'reachable' | 'unreachable' | 'unauthorized';

export class ConfigSync {
  held: HeldConfig | undefined;
  servingFromBackup = false;
  state: ControlPlaneState = 'connecting';
  private confirmedAt: number | undefined;
  private backupConfirmedAt = 0;
  private readonly trust: Trust;
  private wantSnapshot = false;
  private lastRefused: string | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly stop$ = new AbortController();
  private readonly backoff: Backoff;
  private readonly pollIntervalMs: number;
  private readonly random: Random;
  private streamLoop: Promise<void> | undefined;
  /** The newest cursor a change event announced and no sync has reached yet. */
  private expected: string | undefined;

  constructor(private readonly options: ConfigSyncOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 10_000;
    this.random = options.random ?? Math.random;
    this.backoff = new Backoff(1000, 30_000, this.random);
    this.trust = new Trust({
      stateDir: options.stateDir,
      publicKeyPem: options.publicKeyPem,
      fetchSigningKey: () => options.client.signingKey(),
      logger: options.logger,
    });
  }

  /** First contact; falls back to the backup when no config could be had from the control plane. */
  async initial(): Promise<void> {
    await this.runSync(this.options.initialTimeoutMs ?? 5000);
    if (!this.held && this.state !== 'unauthorized') await this.loadBackup();
  }

  /** Starts the change stream and the poll. */
  start(): void {
    const { client, metrics, logger } = this.options;
    this.streamLoop = followChangeStream({
      client,
      metrics,
      logger,
      signal: this.stop$.signal,
      onChange: (cursor) => {
        if (cursor && CURSOR.test(cursor) && (!this.expected || cursorSeq(cursor) > cursorSeq(this.expected)))
          this.expected = cursor;
        void this.syncNow();
      },
      random: this.random,
    });
    this.schedulePoll(aroundInterval(this.pollIntervalMs, this.random));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    this.stop$.abort();
    await this.streamLoop;
    await this.running;
    await this.options.backup?.idle();
  }

  /** Syncs now; a call during a sync queues exactly one more. */
  syncNow(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.runSync();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Seconds since the control plane last confirmed the config being served. */
  stalenessSeconds(now = Date.now()): number {
    if (this.confirmedAt === undefined) return 0;
    return Math.max(0, Math.floor((now - this.confirmedAt) / 1000));
  }

  get cursor(): string | undefined {
    return this.held?.cursor;
  }

  private schedulePoll(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.syncNow(), delayMs);
    this.pollTimer.unref();
  }

  private async runSync(timeoutMs?: number): Promise<void> {
    const { logger, metrics } = this.options;
    try {
      await this.syncOnce(timeoutMs);
      if (this.state !== 'reachable') logger.info('control plane reachable; config in sync');
      this.state = 'reachable';
      this.backoff.reset();
      this.schedulePoll(aroundInterval(this.pollIntervalMs, this.random));
    } catch (error) {
      metrics.configSync.labels('error').inc();
      const failure =
        error instanceof ControlPlaneError ? error : new ControlPlaneError('unreachable', (error as Error).message);
      const next: ControlPlaneState = failure.kind === 'unauthorized' ? 'unauthorized' : 'unreachable';
      if (this.state !== next || failure.kind === 'rejected') {
        const serving = this.held ? 'serving the last good config from memory' : 'nothing to serve yet';
        if (next === 'unauthorized')
          logger.error({ err: failure.message }, `control plane refused this gateway's token; ${serving}`);
        else logger.warn({ err: failure.message }, `control plane unreachable; ${serving}`);
        this.options.errors.add(failure.message);
      }
      this.state = next;
      this.schedulePoll(this.backoff.next());
    }
  }

  private async syncOnce(timeoutMs?: number): Promise<void> {
    const trust = await this.trust.load();
    const expected = this.expected;
    const body = await this.options.client.syncBody(
      this.wantSnapshot ? undefined : this.held?.cursor,
      timeoutMs,
      expected,
    );
    // Parsed and its signatures verified against this ring in a worker when large; trusted (or not) below.
    const received = await receiveSyncAnswer(body, trust.ring);
    // A body that is not JSON (cut on the way) counts as not reached, as before: retried with backoff.
    if (!received.ok && received.unreadable)
      throw new ControlPlaneError('unreachable', `GET /api/v1/gateway/sync: ${received.reason}`);
    if (!received.ok) return this.refuse(`sync answer refused: ${received.reason}`, undefined);
    const message = received.message;
    const untrusted = this.trust.check(message, trust, received.verification);
    if (untrusted) return this.refuse(`${message.kind} ${message.cursor} refused: ${untrusted}`, undefined);
    if (expected && this.expected === expected && cursorSeq(message.cursor) >= cursorSeq(expected))
      this.expected = undefined;
    if (await this.trust.accept(message, trust)) {
      // A rotation was followed: re-base the backup on a snapshot the new key signs.
      this.wantSnapshot = true;
      this.again = true;
    }
    if (message.kind === 'unchanged') {
      if (this.held && this.held.cursor === message.cursor) this.confirm(message.issuedAt);
      else this.wantSnapshot = true;
      return;
    }
    // A genuine message whose content was refused comes back on every poll: report it once.
    const identity = `${message.kind}:${message.cursor}:${message.signatures[0]?.value}`;
    if (identity === this.lastRefused) return;
    if (message.kind === 'snapshot') {
      this.wantSnapshot = false;
      const held = this.held;
      if (
        held &&
        held.deltas.length === 0 &&
        !definitionBehind(held) &&
        held.cursor === message.cursor &&
        held.definition.definitionVersion === message.definitionVersion
      ) {
        this.confirm(message.issuedAt);
        return;
      }
      return this.installSnapshot(message, identity);
    }
    const mismatch = this.held ? deltaMismatch(this.held, message) : 'no snapshot held';
    if (mismatch || !this.held) {
      this.options.logger.warn({ reason: mismatch }, 'delta does not apply to the held config; asking for a snapshot');
      this.wantSnapshot = true;
      this.again = true;
      return;
    }
    if (message.kind === 'definition') return this.installDefinition(this.held, message, identity);
    return this.installDelta(this.held, message, identity);
  }

  /**
   * A new definition with the credential changes since the held cursor: routes and policies are
   * compiled, the credential index is kept and patched (not rebuilt from every key). A definition that
   * cannot be applied leaves the served one in place and its credential changes are still applied,
   * as for a refused snapshot.
   */
  private async installDefinition(held: HeldConfig, message: DefinitionMessage, identity: string): Promise<void> {
    const next = withDefinition(held, message, true);
    const { applyDefinition, applyCredentials } = this.options;
    // With a refused definition served, the index holds restricted applications: rebuilt whole, once.
    const full =
      applyDefinition && !definitionBehind(held)
        ? toApplied(await applyDefinition(message.definition, credentialPatch(next, message)))
        : await this.tryApply(next);
    if (full.ok) return this.install(next, message, identity, full);
    const credentialsOnly = withDefinition(held, message, false);
    const partial = applyCredentials
      ? toApplied(await applyCredentials(credentialPatch(credentialsOnly, message)))
      : await this.tryApply(credentialsOnly);
    await this.installCredentialsOnly(credentialsOnly, message, identity, full.problems, partial);
  }

  /** In time proportional to the delta: the gateway patches its credential index, nothing is compiled. */
  private async installDelta(held: HeldConfig, message: DeltaMessage, identity: string): Promise<void> {
    const next = withDelta(held, message);
    const applyCredentials = this.options.applyCredentials;
    if (!applyCredentials) return this.install(next, message, identity);
    return this.install(next, message, identity, toApplied(await applyCredentials(credentialPatch(next, message))));
  }

  /**
   * A snapshot whose definition is refused still carries the current credentials: they are applied
   * to the definition being served, so revocations reach this gateway whatever else fails.
   */
  private async installSnapshot(message: SnapshotMessage, identity: string): Promise<void> {
    const next = fromSnapshot(message);
    const full = await this.tryApply(next);
    if (full.ok || !this.held) {
      await this.install(next, message, identity, full);
      return;
    }
    const credentialsOnly = withCredentialsOf(this.held, message);
    await this.installCredentialsOnly(
      credentialsOnly,
      message,
      identity,
      full.problems,
      await this.tryApply(credentialsOnly),
    );
  }

  /** A refused definition's credentials, applied to the definition being served (snapshot or definition delta). */
  private async installCredentialsOnly(
    credentialsOnly: HeldConfig,
    message: SnapshotMessage | DefinitionMessage,
    identity: string,
    definitionProblems: string,
    applied: Awaited<ReturnType<ConfigSync['tryApply']>>,
  ): Promise<void> {
    if (!applied.ok) {
      this.refuse(`config ${message.kind} ${message.cursor} refused: ${definitionProblems}`, identity);
      return;
    }
    this.options.metrics.configSync.labels('refused').inc();
    this.options.errors.add(
      `config ${message.kind} ${message.cursor}: definition refused (${definitionProblems}); its credentials are applied to the definition being served`,
    );
    await this.install(credentialsOnly, message, identity, applied);
  }

  private async tryApply(
    next: HeldConfig,
  ): Promise<{ ok: true; version: string | undefined } | { ok: false; problems: string }> {
    // `document` is built on each read (inline OpenAPI documents shared, not cloned): apply() fills defaults
    // into its own copy (inspectDocument), the messages stay as signed; a node's workers get pieces.
    const result = await this.options.apply(next.document);
    if (result.ok) return { ok: true, version: result.version };
    return { ok: false, problems: formatProblems(result) };
  }

  private async install(
    next: HeldConfig,
    message: ConfigMessage,
    identity: string,
    applied?: Awaited<ReturnType<ConfigSync['tryApply']>>,
  ): Promise<void> {
    const result = applied ?? (await this.tryApply(next));
    if (!result.ok) {
      this.refuse(`config ${message.kind} ${message.cursor} refused: ${result.problems}`, identity);
      return;
    }
    this.held = next;
    this.lastRefused = undefined;
    this.servingFromBackup = false;
    this.options.metrics.servingFromBackup.set(0);
    this.options.metrics.configSync.labels('applied').inc();
    this.confirmedAt = Math.min(Date.now(), Date.parse(message.issuedAt));
    if (next.deltas.length >= MAX_DELTAS) this.wantSnapshot = true;
    this.options.logger.info(
      { kind: message.kind, cursor: next.cursor, configVersion: result.version },
      definitionBehind(next)
        ? 'credentials from the control plane applied to the definition being served'
        : 'config from the control plane applied',
    );
    this.saveBackup(next);
    this.options.onConfigEvent();
  }

  private refuse(message: string, identity: string | undefined): void {
    this.lastRefused = identity;
    this.options.metrics.configSync.labels('refused').inc();
    this.options.errors.add(message);
    this.options.logger.error(
      this.held ? `${message}; the last good config keeps serving` : `${message}; nothing to serve yet`,
    );
    this.options.onConfigEvent();
  }

  /** The control plane said at `issuedAt` that what is held is current (a replayed answer cannot make it fresher). */
  private confirm(issuedAt: string): void {
    this.options.metrics.configSync.labels('unchanged').inc();
    this.confirmedAt = Math.min(Date.now(), Date.parse(issuedAt));
    if (this.servingFromBackup) {
      this.servingFromBackup = false;
      this.options.metrics.servingFromBackup.set(0);
      this.options.logger.info('control plane confirmed the backup config is current');
    }
    if (this.options.backup && this.confirmedAt - this.backupConfirmedAt > BACKUP_CONFIRM_EVERY_MS) {
      this.backupConfirmedAt = this.confirmedAt;
      void this.options.backup.confirm();
    }
  }

  private saveBackup(held: HeldConfig): void {
    const backup = this.options.backup;
    if (!backup) return;
    this.backupConfirmedAt = Date.now();
    const { messages, refused } = messagesOf(held);
    backup.save(messages, refused).catch((error: unknown) => {
      this.options.errors.add(`config backup not written: ${(error as Error).message}`);
      this.options.logger.error({ err: error }, 'config backup not written');
    });
  }

  private async loadBackup(): Promise<void> {
    const { backup, logger, metrics, errors } = this.options;
    if (!backup) return;
    const refuse = (detail: string) => {
      metrics.backupRefused.inc();
      errors.add(`config backup refused: ${detail}`);
      logger.error(
        { file: backup.file },
        `config backup refused: ${detail}; not serving until the control plane answers`,
      );
    };
    const loaded = await backup.load();
    if (!loaded.ok) {
      if (loaded.reason === 'missing')
        logger.warn(
          'no config backup and no control plane: not ready; every route answers 503 until the control plane answers',
        );
      else refuse(loaded.detail);
      return;
    }
    const replayed = await this.trust.restore(loaded.content.messages, loaded.content.refused);
    if (!replayed.ok) return refuse(replayed.reason);
    const result = await this.tryApply(replayed.held);
    if (!result.ok) return refuse(result.problems);
    this.held = replayed.held;
    this.servingFromBackup = true;
    this.confirmedAt = loaded.confirmedAt.getTime();
    metrics.servingFromBackup.set(1);
    logger.warn(
      { cursor: replayed.held.cursor, configVersion: result.version, stalenessSeconds: this.stalenessSeconds() },
      'control plane unreachable: serving the last-known-good backup',
    );
    this.options.onConfigEvent();
  }
}

function toApplied(result: ApplyResult): { ok: true; version: string | undefined } | { ok: false; problems: string } {
  return result.ok ? { ok: true, version: result.version } : { ok: false, problems: formatProblems(result) };
}

function formatProblems(result: ApplyResult): string {
  return result.problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
}
