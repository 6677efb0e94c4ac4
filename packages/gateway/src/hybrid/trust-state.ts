/**
 * What a hybrid gateway trusts about its control plane, kept in its state directory across
 * restarts: the signing keys (pinned on first use or from GATEHOUSE_CP_PUBLIC_KEY, then following
 * rotations), who it is (the environment and gateway its first verified message named) and the
 * newest position it accepted, so a replayed older message is refused even after a restart.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type Binding,
  type KeyRing,
  keyRing,
  type Position,
  type PublishedKey,
  publishedKeys,
  trustedKey,
} from '@gatehouse/config';
import { writeFileAtomic } from './atomic-file.js';

const STATE_FILE = 'control-plane-trust.json';
/** Written by earlier versions: one pinned key. */
const LEGACY_PIN_FILE = 'control-plane-key.json';

export interface TrustState {
  ring: KeyRing;
  /** Key id of the operator-pinned key the ring grew from, if any. */
  anchor?: string | undefined;
  binding?: Binding | undefined;
  position?: Position | undefined;
}

interface StoredState {
  keys: PublishedKey[];
  anchor?: string;
  binding?: Binding;
  position?: Position;
}

export async function readTrustState(dir: string): Promise<TrustState | undefined> {
  const stored = await readJson<StoredState>(path.join(dir, STATE_FILE));
  if (stored) {
    if (!Array.isArray(stored.keys) || stored.keys.length === 0) throw new Error(`${STATE_FILE} has no keys`);
    const ring = keyRing(
      stored.keys.map((k) => trustedKey(k.publicKeyPem, k.notAfter === undefined ? undefined : Date.parse(k.notAfter))),
    );
    return { ring, anchor: stored.anchor, binding: stored.binding, position: stored.position };
  }
  const legacy = await readJson<{ publicKeyPem?: string }>(path.join(dir, LEGACY_PIN_FILE));
  if (!legacy) return undefined;
  if (typeof legacy.publicKeyPem !== 'string') throw new Error(`${LEGACY_PIN_FILE} has no publicKeyPem`);
  return { ring: keyRing([trustedKey(legacy.publicKeyPem)]) };
}

export async function writeTrustState(dir: string, state: TrustState): Promise<void> {
  const stored: StoredState = {
    keys: publishedKeys(state.ring),
    ...(state.anchor ? { anchor: state.anchor } : {}),
    ...(state.binding ? { binding: state.binding } : {}),
    ...(state.position ? { position: state.position } : {}),
  };
  await writeFileAtomic(path.join(dir, STATE_FILE), `${JSON.stringify(stored, null, 2)}\n`);
}

/**
 * The state to start from. An operator-pinned key (GATEHOUSE_CP_PUBLIC_KEY) is the anchor: the
 * stored state is used only when it grew from that same key (a rotation followed since), otherwise
 * trust restarts from the pinned key alone, with no binding or position yet.
 */
export function initialTrust(stored: TrustState | undefined, pinnedPem: string | undefined): TrustState | undefined {
  if (!pinnedPem) return stored;
  const pinned = trustedKey(pinnedPem);
  if (stored && (stored.anchor === pinned.keyId || (stored.anchor === undefined && stored.ring.has(pinned.keyId))))
    return { ...stored, anchor: pinned.keyId };
  // Another key pinned: another control plane (or a deliberate re-pin), so its binding and positions start afresh.
  return { ring: keyRing([pinned]), anchor: pinned.keyId };
}

async function readJson<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as T;
}
