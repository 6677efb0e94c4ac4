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
 *
 * A definition delta (protocol 4, decisions/0021) is held among the deltas: it carries a definition
 * and application changes. When its definition is applied it becomes `definition`; when refused, its
 * application changes still apply (restricted to the definition served), like a refused snapshot's.
 */
import {
  type Application,
  type ConfigMessage,
  cloneConfigDocument,
  type DefinitionMessage,
  type DeltaMessage,
  type IncrementalMessage,
  type SnapshotMessage,
} from '@gatehouse/config';

/** A message whose definition a gateway can serve. */
export type DefinitionSource = SnapshotMessage | DefinitionMessage;

export interface HeldConfig {
  /** The message whose definition is served: a snapshot, or a definition delta among `deltas` (or before `credentials`). */
  readonly definition: DefinitionSource;
  readonly credentials: SnapshotMessage;
  readonly deltas: readonly IncrementalMessage[];
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

/** The newest definition received: the last definition delta held, or the credentials' snapshot. */
export function latestDefinition(held: HeldConfig): DefinitionSource {
  for (let i = held.deltas.length - 1; i >= 0; i--) {
    const message = held.deltas[i]!;
    if (message.kind === 'definition') return message;
  }
  return held.credentials;
}

/** True when the definition served is not the newest received (it was refused). */
export function definitionBehind(held: HeldConfig): boolean {
  return held.definition !== latestDefinition(held);
}

/** The document without its applications that `message` defines. */
export function definitionOf(message: DefinitionSource): Record<string, unknown> {
  if (message.kind === 'definition') return message.definition;
  const { applications: _applications, ...definition } = message.document;
  return definition;
}

/** Why a delta or definition delta cannot go on top of what is held (then a snapshot is needed), or undefined. */
export function deltaMismatch(held: HeldConfig, delta: IncrementalMessage): string | undefined {
  if (delta.fromCursor !== held.cursor)
    return `${delta.kind} from cursor ${delta.fromCursor}, but this gateway is at ${held.cursor}`;
  // A definition delta brings its own definition; a credential delta must be for the one held.
  const holds = latestDefinition(held).definitionVersion;
  if (delta.kind === 'delta' && delta.definitionVersion !== holds)
    return `delta for definition ${delta.definitionVersion}, but this gateway holds ${holds}`;
  return undefined;
}

/** O(deltas held): the document is not built (see `document`). */
export function withDelta(held: HeldConfig, delta: DeltaMessage): HeldConfig {
  return build(held.definition, held.credentials, [...held.deltas, delta]);
}

/** A definition delta held; its definition served when `applied`, else the served one kept. */
export function withDefinition(held: HeldConfig, message: DefinitionMessage, applied: boolean): HeldConfig {
  return build(applied ? message : held.definition, held.credentials, [...held.deltas, message]);
}

/**
 * What `delta` changes, as the gateway's credential index takes it once `next` (the held config with
 * the delta) serves: copies of the upserted applications (restricted to the served definition when it
 * is behind) and the deletes.
 */
export function credentialPatch(next: HeldConfig, delta: IncrementalMessage): HeldCredentialPatch {
  let upsert = structuredClone(delta.applications.upsert) as App[];
  if (definitionBehind(next)) upsert = restrictTo(upsert, definitionOf(next.definition));
  return { upsert: upsert as unknown as Application[], delete: [...delta.applications.delete] };
}

/**
 * The messages to keep in the backup, in replay order, and which definition deltas among them were
 * not applied (the backup journals that beside them: replaying must serve the same definition).
 * The served definition comes first when it is not in the chain from the credentials' snapshot.
 */
export function messagesOf(held: HeldConfig): { messages: ConfigMessage[]; refused: Set<ConfigMessage> } {
  const at = held.deltas.indexOf(held.definition as IncrementalMessage);
  const refused = new Set<ConfigMessage>(held.deltas.slice(at + 1).filter((m) => m.kind === 'definition'));
  const messages: ConfigMessage[] =
    held.definition === held.credentials || at >= 0
      ? [held.credentials, ...held.deltas]
      : [held.definition, held.credentials, ...held.deltas];
  return { messages, refused };
}

/**
 * Rebuilds the held config from stored messages, or says why they don't chain. `refused`: the
 * definition deltas whose definition was not applied (their application changes were).
 */
export function replay(
  messages: ConfigMessage[],
  refused: ReadonlySet<ConfigMessage> = new Set(),
): { ok: true; held: HeldConfig } | { ok: false; reason: string } {
  const [first, ...rest] = messages;
  let held: HeldConfig;
  if (rest[0]?.kind === 'snapshot' && first && first.kind !== 'delta')
    held = build(first, rest.shift() as SnapshotMessage, []);
  else if (first?.kind === 'snapshot') held = fromSnapshot(first);
  else return { ok: false, reason: 'no snapshot' };
  for (const message of rest) {
    if (message.kind === 'snapshot') return { ok: false, reason: 'a snapshot after the credentials snapshot' };
    const mismatch = deltaMismatch(held, message);
    if (mismatch) return { ok: false, reason: mismatch };
    held = message.kind === 'delta' ? withDelta(held, message) : withDefinition(held, message, !refused.has(message));
  }
  return { ok: true, held };
}

function build(
  definition: DefinitionSource,
  credentials: SnapshotMessage,
  deltas: readonly IncrementalMessage[],
): HeldConfig {
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
  definition: DefinitionSource,
  credentials: SnapshotMessage,
  deltas: readonly IncrementalMessage[],
): Record<string, unknown> {
  let applications = structuredClone((credentials.document.applications as App[] | undefined) ?? []);
  for (const delta of deltas) applications = applyDelta(applications, delta);
  // Inline OpenAPI documents are shared with the message, not cloned (nothing rewrites them in place).
  const document = cloneConfigDocument(definitionOf(definition)) as Record<string, unknown>;
  const newest = deltas.findLast((m) => m.kind === 'definition') ?? credentials;
  if (definition !== newest) applications = restrictTo(applications, document);
  return { ...document, applications };
}

/** Upserts replace an application by id in place (or append it); deletes remove by id. */
function applyDelta(current: App[], delta: IncrementalMessage): App[] {
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
