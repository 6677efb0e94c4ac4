/**
 * The config a hybrid gateway holds: the snapshot whose definition it serves, the snapshot its
 * credentials come from, and the credential deltas applied since. Usually both snapshots are the
 * same message. When a snapshot's definition is refused, its credentials are still taken (onto the
 * definition being served) and later deltas apply to them: a key revoked while a bad deployment
 * is pending is still revoked on every gateway. Pure functions; messages stay untouched (they are
 * re-verified when loaded from the backup).
 *
 * Holding a delta costs the delta: the document is built from the messages only when a whole one is
 * applied (a snapshot, the backup at start); a delta reaches the gateway as a `credentialPatch`.
 */
import {
  type Application,
  type ConfigMessage,
  cloneConfigDocument,
  type DeltaMessage,
  type SnapshotMessage,
} from '@gatehouse/config';

export interface HeldConfig {
  readonly definition: SnapshotMessage;
  readonly credentials: SnapshotMessage;
  readonly deltas: readonly DeltaMessage[];
  readonly cursor: string;
  readonly issuedAt: string;
  /** The document the messages produce: built on each read (O(document)), a fresh object never shared with a message. */
  readonly document: Record<string, unknown>;
}

/** A delta as the gateway applies it (the shape of `CredentialPatch` in ../credentials.ts). */
export interface HeldCredentialPatch {
  upsert: Application[];
  delete: string[];
}

type App = { id: string; subscriptions?: Array<{ api?: unknown; plan?: unknown }> };

export function fromSnapshot(snapshot: SnapshotMessage): HeldConfig {
  return build(snapshot, snapshot, []);
}

/** The served definition kept, the credentials taken from a snapshot whose definition was refused. */
export function withCredentialsOf(held: HeldConfig, snapshot: SnapshotMessage): HeldConfig {
  return build(held.definition, snapshot, []);
}

/** True when the credentials come from a newer snapshot than the definition served. */
export function definitionBehind(held: HeldConfig): boolean {
  return held.definition !== held.credentials;
}

/** Why a delta cannot go on top of what is held (then a full snapshot is needed), or undefined. */
export function deltaMismatch(held: HeldConfig, delta: DeltaMessage): string | undefined {
  if (delta.fromCursor !== held.cursor)
    return `delta from cursor ${delta.fromCursor}, but this gateway is at ${held.cursor}`;
  if (delta.definitionVersion !== held.credentials.definitionVersion)
    return `delta for definition ${delta.definitionVersion}, but this gateway holds ${held.credentials.definitionVersion}`;
  return undefined;
}

/** O(deltas held): the document is not built (see `document`). */
export function withDelta(held: HeldConfig, delta: DeltaMessage): HeldConfig {
  return build(held.definition, held.credentials, [...held.deltas, delta]);
}

/**
 * What `delta` changes on top of `held`, as the gateway's credential index takes it: copies of the
 * upserted applications (restricted to the served definition when it is behind) and the deletes.
 */
export function credentialPatch(held: HeldConfig, delta: DeltaMessage): HeldCredentialPatch {
  let upsert = structuredClone(delta.applications.upsert) as App[];
  if (definitionBehind(held)) upsert = restrictTo(upsert, held.definition.document);
  return { upsert: upsert as unknown as Application[], delete: [...delta.applications.delete] };
}

/** The messages to keep in the backup, in replay order. */
export function messagesOf(held: HeldConfig): ConfigMessage[] {
  return definitionBehind(held)
    ? [held.definition, held.credentials, ...held.deltas]
    : [held.definition, ...held.deltas];
}

/** Rebuilds the held config from stored messages, or says why they don't chain. */
export function replay(messages: ConfigMessage[]): { ok: true; held: HeldConfig } | { ok: false; reason: string } {
  const [first, ...rest] = messages;
  if (first?.kind !== 'snapshot') return { ok: false, reason: 'no snapshot' };
  let held = fromSnapshot(first);
  if (rest[0]?.kind === 'snapshot') held = withCredentialsOf(held, rest.shift() as SnapshotMessage);
  for (const message of rest) {
    if (message.kind !== 'delta') return { ok: false, reason: 'a snapshot after the credentials snapshot' };
    const mismatch = deltaMismatch(held, message);
    if (mismatch) return { ok: false, reason: mismatch };
    held = withDelta(held, message);
  }
  return { ok: true, held };
}

function build(definition: SnapshotMessage, credentials: SnapshotMessage, deltas: readonly DeltaMessage[]): HeldConfig {
  const last = deltas.at(-1) ?? credentials;
  return {
    definition,
    credentials,
    deltas,
    cursor: last.cursor,
    issuedAt: last.issuedAt,
    get document() {
      return documentOf(definition, credentials, deltas);
    },
  };
}

function documentOf(
  definition: SnapshotMessage,
  credentials: SnapshotMessage,
  deltas: readonly DeltaMessage[],
): Record<string, unknown> {
  let applications = structuredClone((credentials.document.applications as App[] | undefined) ?? []);
  for (const delta of deltas) applications = applyDelta(applications, delta);
  // Inline OpenAPI documents are shared with the message, not cloned (nothing rewrites them in place).
  const document = cloneConfigDocument(definition.document) as Record<string, unknown>;
  if (definition !== credentials) applications = restrictTo(applications, document);
  return { ...document, applications };
}

/** Upserts replace an application by id in place (or append it); deletes remove by id. */
function applyDelta(current: App[], delta: DeltaMessage): App[] {
  const upserts = new Map(structuredClone(delta.applications.upsert).map((a) => [a.id, a as App]));
  const deleted = new Set(delta.applications.delete);
  const applications: App[] = [];
  for (const app of current) {
    if (deleted.has(app.id)) continue;
    applications.push(upserts.get(app.id) ?? app);
    upserts.delete(app.id);
  }
  applications.push(...upserts.values());
  return applications;
}

/** Subscriptions to APIs or plans the served definition does not have are left out (they cannot be used). */
function restrictTo(applications: App[], document: Record<string, unknown>): App[] {
  const plans = new Set<string>();
  for (const api of (document.apis as Array<{ id?: unknown; plans?: Array<{ id?: unknown }> }> | undefined) ?? [])
    for (const plan of api.plans ?? []) plans.add(`${String(api.id)}\u0000${String(plan.id)}`);
  return applications.map((app) => ({
    ...app,
    subscriptions: (app.subscriptions ?? []).filter((s) => plans.has(`${String(s.api)}\u0000${String(s.plan)}`)),
  }));
}

export function appliedRevisions(document: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const api of (document.apis as Array<{ id?: unknown; revision?: unknown }> | undefined) ?? []) {
    if (typeof api.id === 'string' && typeof api.revision === 'number') out[api.id] = api.revision;
  }
  return out;
}
