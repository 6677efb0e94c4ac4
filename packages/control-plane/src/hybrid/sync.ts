/**
 * `GET /gateway/sync`: what a gateway needs to catch up from its cursor. A snapshot (its shard of
 * the environment's document), a delta (only the applications whose credentials changed, when the
 * definition it holds is still current and its cursor is within the change log's horizon) or
 * `unchanged`. A delta reads the changed applications' rows only (compileApplications filters by
 * their ids), never the environment's whole key set. Messages are built and bound to the gateway
 * here, and signed by the route.
 */
import { DEFINITION_DELTA_PROTOCOL, type MessageBody } from '@gatehouse/config';
import { compileApplications, definitionVersionOf, loadDeployedApis } from '../compiler/compile.js';
import type { Database } from '../db/connect.js';
import { prunedThrough } from './change-horizon.js';
import { applicationsChangedBetween, definitionChangesBetween, formatCursor, parseCursor } from './changes.js';
import { type DefinitionChanges, definitionDeltaCache, type SharedDefinition } from './definition-delta.js';
import { servesApi } from './sharding.js';
import { type SharedSnapshot, snapshotCache } from './shared-snapshot.js';

/** Beyond this many changed applications a snapshot is as cheap as a delta, and simpler to apply. */
export const DELTA_MAX_APPLICATIONS = 1000;

export interface SyncGateway {
  id: string;
  envId: string;
  tags: string[];
}

/** A message before the signer publishes its keys and signs it. */
export type SyncBody = MessageBody;

/** A snapshot whose document is shared by every gateway at this version (shared-snapshot.ts). */
export interface SharedSnapshotBody {
  kind: 'shared-snapshot';
  body: Omit<Extract<MessageBody, { kind: 'snapshot' }>, 'document' | 'digest'>;
  shared: SharedSnapshot;
}

/** A definition delta (protocol 4): the definition shared per version, the changes per cursor (definition-delta.ts). */
export interface SharedDefinitionBody {
  kind: 'shared-definition';
  body: Omit<
    Extract<MessageBody, { kind: 'definition' }>,
    'definition' | 'applications' | 'digest' | 'definitionDigest'
  >;
  definition: SharedDefinition;
  changes: DefinitionChanges;
}

/** What binds a message to one gateway and one position: signed, so it cannot be replayed elsewhere or later. */
function stamp(gateway: SyncGateway, head: number, protocol: number) {
  return {
    protocol,
    environment: gateway.envId,
    gateway: gateway.id,
    cursor: formatCursor(head),
    issuedAt: new Date().toISOString(),
  };
}

export async function syncMessage(
  db: Database,
  gateway: SyncGateway,
  cursor: string | undefined,
  protocol: number,
  head: number,
): Promise<SyncBody | SharedSnapshotBody | SharedDefinitionBody> {
  // The head is read first (by the caller): everything up to it is committed (see changes.ts), and
  // whatever the compilation below sees on top of it is sent again in the next delta, which is harmless.
  const from = parseCursor(cursor);
  if (from === undefined || from > head) return snapshot(db, gateway, head, protocol);
  if (from === head) return { kind: 'unchanged', ...stamp(gateway, head, protocol) };

  const part = await deltaCache(db).get(gateway, from, head);
  if (part === 'definition' && protocol >= DEFINITION_DELTA_PROTOCOL) {
    const answer = await definitionDelta(db, gateway, from, head, protocol);
    if (answer) return answer;
  }
  if (part === 'snapshot' || part === 'definition') return snapshot(db, gateway, head, protocol);
  return { kind: 'delta', ...stamp(gateway, head, protocol), ...part };
}

type DeltaPart = Pick<Extract<MessageBody, { kind: 'delta' }>, 'fromCursor' | 'definitionVersion' | 'applications'>;

/**
 * The unbound part of a delta, built once per (environment, from, head, shard) and shared: after a
 * revocation the whole fleet asks for the same delta at once. Bounded; a failed build is forgotten.
 */
class DeltaCache {
  builds = 0;
  private readonly parts = new Map<string, Promise<DeltaPart | 'snapshot' | 'definition'>>();

  constructor(private readonly db: Database) {}

  get(gateway: SyncGateway, from: number, head: number): Promise<DeltaPart | 'snapshot' | 'definition'> {
    const key = `${gateway.envId}\u0000${from}\u0000${head}\u0000${[...gateway.tags].sort().join('\u0000')}`;
    let part = this.parts.get(key);
    if (!part) {
      this.builds++;
      part = buildDelta(this.db, gateway, from, head);
      this.parts.set(key, part);
      part.catch(() => this.parts.delete(key));
      if (this.parts.size > DELTA_CACHE_ENTRIES) this.parts.delete(this.parts.keys().next().value as string);
    }
    return part;
  }
}

const DELTA_CACHE_ENTRIES = 256;
const deltaCaches = new WeakMap<Database, DeltaCache>();

export function deltaCache(db: Database): DeltaCache {
  let cache = deltaCaches.get(db);
  if (!cache) {
    cache = new DeltaCache(db);
    deltaCaches.set(db, cache);
  }
  return cache;
}

async function buildDelta(
  db: Database,
  gateway: SyncGateway,
  from: number,
  head: number,
): Promise<DeltaPart | 'snapshot' | 'definition'> {
  const definitionChanges = await definitionChangesBetween(db, gateway.envId, from, head);
  // The definition of this shard changed: a definition delta (protocol 4) or a snapshot.
  if (definitionChanges.some((apiTags) => servesApi(gateway.tags, apiTags))) return 'definition';
  const changed = await applicationsChangedBetween(db, gateway.envId, from, head, DELTA_MAX_APPLICATIONS + 1);
  if (changed.length > DELTA_MAX_APPLICATIONS) return 'snapshot';
  // Read after the changes: the changes since `from` are complete unless pruned (change-horizon.ts),
  // and a prune that committed while they were read shows here.
  if (from < (await prunedThrough(db, gateway.envId))) return 'snapshot';

  const apis = await loadDeployedApis(db, gateway.envId, { shardTags: gateway.tags });
  const upsert = await compileApplications(db, gateway.envId, apis, { applicationIds: changed });
  const kept = new Set(upsert.map((a) => a.id));
  return {
    fromCursor: formatCursor(from),
    definitionVersion: definitionVersionOf([...apis.values()].sort((a, b) => a.id.localeCompare(b.id))),
    // An application with nothing left in this shard (subscription closed, deleted) is removed.
    applications: { upsert, delete: changed.filter((id) => !kept.has(id)).sort() },
  };
}

/** Undefined when the changes are too many or reach behind the horizon: a snapshot then. */
async function definitionDelta(
  db: Database,
  gateway: SyncGateway,
  from: number,
  head: number,
  protocol: number,
): Promise<SharedDefinitionBody | undefined> {
  const cache = definitionDeltaCache(db);
  const changes = await cache.applicationChanges(gateway.envId, gateway.tags, from, head);
  if (changes === 'snapshot') return undefined;
  const definition = await cache.definition(gateway.envId, head, gateway.tags);
  return {
    kind: 'shared-definition',
    body: {
      kind: 'definition',
      ...stamp(gateway, head, protocol),
      fromCursor: changes.fromCursor,
      definitionVersion: definition.definitionVersion,
    },
    definition,
    changes,
  };
}

async function snapshot(
  db: Database,
  gateway: SyncGateway,
  head: number,
  protocol: number,
): Promise<SharedSnapshotBody> {
  const shared = await snapshotCache(db).get(gateway.envId, head, gateway.tags);
  return {
    kind: 'shared-snapshot',
    body: { kind: 'snapshot', ...stamp(gateway, head, protocol), definitionVersion: shared.definitionVersion },
    shared,
  };
}
