/**
 * The config a hybrid gateway holds: the last snapshot plus the credential deltas applied since.
 * Pure functions; the messages stay untouched (they are re-verified when loaded from the backup).
 */
import type { DeltaMessage, SignedMessage, SnapshotMessage } from './messages.js';

export interface HeldConfig {
  snapshot: SnapshotMessage;
  deltas: DeltaMessage[];
  cursor: string;
  /** The document the messages produce (a fresh object, never shared with a message). */
  document: Record<string, unknown>;
}

export function fromSnapshot(snapshot: SnapshotMessage): HeldConfig {
  return { snapshot, deltas: [], cursor: snapshot.cursor, document: structuredClone(snapshot.document) };
}

/** Why a delta cannot go on top of what is held (then a full snapshot is needed), or undefined. */
export function deltaMismatch(held: HeldConfig, delta: DeltaMessage): string | undefined {
  if (delta.fromCursor !== held.cursor)
    return `delta from cursor ${delta.fromCursor}, but this gateway is at ${held.cursor}`;
  if (delta.definitionVersion !== held.snapshot.definitionVersion)
    return `delta for definition ${delta.definitionVersion}, but this gateway holds ${held.snapshot.definitionVersion}`;
  return undefined;
}

/** Upserts replace an application by id in place (or append it); deletes remove by id. */
export function withDelta(held: HeldConfig, delta: DeltaMessage): HeldConfig {
  const current = (held.document.applications as Array<{ id: string }> | undefined) ?? [];
  const upserts = new Map(structuredClone(delta.applications.upsert).map((a) => [a.id, a as { id: string }]));
  const deleted = new Set(delta.applications.delete);
  const applications: Array<{ id: string }> = [];
  for (const app of current) {
    if (deleted.has(app.id)) continue;
    const replacement = upserts.get(app.id);
    applications.push(replacement ?? app);
    upserts.delete(app.id);
  }
  applications.push(...upserts.values());
  return {
    snapshot: held.snapshot,
    deltas: [...held.deltas, delta],
    cursor: delta.cursor,
    document: { ...held.document, applications },
  };
}

/** Rebuilds the held config from stored messages (snapshot first), or says why they don't chain. */
export function replay(messages: SignedMessage[]): { ok: true; held: HeldConfig } | { ok: false; reason: string } {
  const [first, ...rest] = messages;
  if (first?.kind !== 'snapshot') return { ok: false, reason: 'no snapshot' };
  let held = fromSnapshot(first);
  for (const message of rest) {
    if (message.kind !== 'delta') return { ok: false, reason: 'a second snapshot after the first' };
    const mismatch = deltaMismatch(held, message);
    if (mismatch) return { ok: false, reason: mismatch };
    held = withDelta(held, message);
  }
  return { ok: true, held };
}

export function appliedRevisions(document: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const api of (document.apis as Array<{ id?: unknown; revision?: unknown }> | undefined) ?? []) {
    if (typeof api.id === 'string' && typeof api.revision === 'number') out[api.id] = api.revision;
  }
  return out;
}
