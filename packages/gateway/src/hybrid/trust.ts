/**
 * The checks a sync message passes before anything in it is used (docs/hybrid-protocol.md,
 * "What a gateway accepts"): signed by a key this gateway trusts and that has not retired, bound
 * to this gateway's environment and id, not older than the newest message already accepted. A
 * message that passes moves the position forward and may carry a signing-key rotation, which is
 * followed here and persisted.
 */
import {
  bindingMismatch,
  type ConfigMessage,
  cursorSeq,
  followKeys,
  goesBackwards,
  keyRing,
  type Position,
  type PublishedKey,
  parseSyncMessage,
  type SyncMessage,
  sameRing,
  trustedKey,
  type Verification,
  verifyMessage,
} from '@gatehouse/config';
import type { Logger } from '@gatehouse/core';
import { ControlPlaneError, type SigningKey } from './control-plane-client.js';
import { type HeldConfig, replay } from './document-state.js';
import { initialTrust, readTrustState, type TrustState, writeTrustState } from './trust-state.js';

export interface TrustOptions {
  stateDir: string;
  /** PEM pinned by the operator (GATEHOUSE_CP_PUBLIC_KEY); overrides trust on first use. */
  publicKeyPem: string | undefined;
  fetchSigningKey: () => Promise<SigningKey>;
  logger: Logger;
}

export class Trust {
  private state: TrustState | undefined;
  /** Newest issue time seen at the current position (not persisted: only the cursor must survive restarts). */
  private lastIssuedAt: string | undefined;

  constructor(private readonly options: TrustOptions) {}

  /** The stored (or operator-pinned) trust; undefined when nothing is pinned yet. */
  async stored(): Promise<TrustState | undefined> {
    if (!this.state) this.state = initialTrust(await readTrustState(this.options.stateDir), this.options.publicKeyPem);
    return this.state;
  }

  /** The trust to verify with, pinning the control plane's current keys on first use. */
  async load(): Promise<TrustState> {
    const stored = await this.stored();
    if (stored) return stored;
    const answer = await this.options.fetchSigningKey();
    if (answer.alg !== 'Ed25519')
      throw new ControlPlaneError('rejected', `unsupported signing algorithm ${answer.alg}`);
    const keys: PublishedKey[] = answer.keys ?? [
      { keyId: answer.keyId, alg: 'Ed25519', publicKeyPem: answer.publicKeyPem },
    ];
    const ring = keyRing(keys.map((k) => trustedKey(k.publicKeyPem, k.notAfter ? Date.parse(k.notAfter) : undefined)));
    this.state = { ring };
    await writeTrustState(this.options.stateDir, this.state);
    this.options.logger.info({ keyIds: [...ring.keys()] }, 'pinned the control-plane signing key (trust on first use)');
    return this.state;
  }

  /**
   * Why the message must not be used, or undefined. `verified` is verifyMessage() against this
   * state's ring, when it was already done (off the event loop, verify-off-thread.ts).
   */
  check(
    message: SyncMessage,
    state: TrustState,
    verified: Verification = verifyMessage(message, state.ring),
  ): string | undefined {
    if (!verified.ok) return verified.reason;
    const position = state.position && { ...state.position, issuedAt: this.lastIssuedAt ?? state.position.issuedAt };
    return bindingMismatch(message, state.binding) ?? goesBackwards(message, position);
  }

  /**
   * Records a checked message: pins the binding on first use, moves the position, follows a key
   * rotation. Answers whether the keys changed (then the backup should be re-based on a snapshot
   * signed by the new keys).
   */
  async accept(message: SyncMessage, state: TrustState): Promise<boolean> {
    const ring = followKeys(state.ring, message.keys);
    const keysChanged = !sameRing(ring, state.ring);
    const binding = state.binding ?? { environment: message.environment, gateway: message.gateway };
    const advanced = !state.position || cursorSeq(message.cursor) > cursorSeq(state.position.cursor);
    const position: Position | undefined = advanced
      ? { cursor: message.cursor, issuedAt: message.issuedAt }
      : state.position;
    if (!this.lastIssuedAt || advanced || Date.parse(message.issuedAt) > Date.parse(this.lastIssuedAt))
      this.lastIssuedAt = message.issuedAt;
    if (!keysChanged && state.binding && !advanced) return false;
    this.state = { ...state, ring, binding, position };
    await writeTrustState(this.options.stateDir, this.state);
    if (!state.binding)
      this.options.logger.info(binding, 'bound to this environment and gateway id (first verified message)');
    if (keysChanged)
      this.options.logger.info(
        { keyIds: [...ring.keys()] },
        'followed a control-plane signing-key rotation (announced by a trusted key)',
      );
    return keysChanged;
  }

  /**
   * The held config rebuilt from the local backup, each message checked first. A signature may be
   * by a key that has retired since it was received (the backup itself is authenticated by the
   * token-derived key): retirement is not applied, but the key must still be trusted and the
   * binding must match.
   */
  /** `refused`: positions in `stored` of definition deltas whose definition was not applied. */
  async restore(
    stored: unknown[],
    refused: readonly number[] = [],
  ): Promise<{ ok: true; held: HeldConfig } | { ok: false; reason: string }> {
    let state: TrustState | undefined;
    try {
      state = await this.stored();
    } catch (error) {
      return { ok: false, reason: `pinned key unreadable (${(error as Error).message})` };
    }
    if (!state) return { ok: false, reason: 'no pinned control-plane key to verify it with' };
    const messages: ConfigMessage[] = [];
    for (const message of stored) {
      const parsed = parseSyncMessage(message);
      if (!parsed.ok) return parsed;
      if (parsed.message.kind === 'unchanged') return { ok: false, reason: 'unexpected message' };
      const verified = verifyMessage(parsed.message, state.ring, Number.NEGATIVE_INFINITY);
      const invalid = verified.ok ? bindingMismatch(parsed.message, state.binding) : verified.reason;
      if (invalid) return { ok: false, reason: `${parsed.message.kind} ${parsed.message.cursor}: ${invalid}` };
      messages.push(parsed.message);
    }
    return replay(messages, new Set(refused.map((i) => messages[i]).filter((m) => m !== undefined)));
  }
}
