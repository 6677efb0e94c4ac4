/**
 * Protocol 4's definition delta (docs/decisions/0021-definition-delta.md): when a gateway's cursor is
 * known and the definition of its shard changed, it gets the new definition (the document without
 * applications) plus the applications that changed since its cursor, instead of a snapshot holding
 * every application. Two shared parts, each built and hashed once:
 *
 *  - the definition, per (environment, head, shard): like the snapshot's document, but no application
 *    is compiled (DefinitionCache);
 *  - the application changes, per (environment, from, head, shard): the applications whose credentials
 *    changed, and those whose compiled form the definition change alters (a subscription entering or
 *    leaving the shard: an API deployed into or out of it, a plan served or no longer served).
 *
 * The definition change rows name their API and revision (migration 12); for each API the revision
 * served before the range is read from `deployments` and compared with the one deployed now. A row
 * without an API (written before migration 12) gets the gateway a snapshot.
 */

import type { Api } from '@gatehouse/config';
import { digestOf } from '@gatehouse/config';
import { canonicalJson } from '@gatehouse/core';
import { and, desc, eq, inArray, lt } from 'drizzle-orm';
import { buildDefinitionDocument, compileApplications, loadDeployedApis, servedShapeOf } from '../compiler/compile.js';
import type { Database } from '../db/connect.js';
import { deployments, plans, subscriptions } from '../db/schema.js';
import type { ApiSnapshot } from '../services/apis.js';
import { prunedThrough } from './change-horizon.js';
import {
  applicationsChangedBetween,
  type DefinitionChangeRow,
  definitionChangeRowsBetween,
  formatCursor,
} from './changes.js';
import { servesApi } from './sharding.js';

export interface SharedDefinition {
  definitionVersion: string;
  /** Canonical JSON of the definition (the document without `applications`). */
  json: string;
  digest: string;
}

export interface DefinitionChanges {
  fromCursor: string;
  /** The same object for every gateway given these changes (seal.ts hashes it once). */
  applications: { upsert: unknown[]; delete: string[] };
}

const shardKey = (tags: readonly string[]) => [...tags].sort().join('\u0000');

/** Bounded map of shared builds; a failed build is forgotten, so the next gateway tries again. */
class SharedBuilds<T> {
  builds = 0;
  private readonly entries = new Map<string, Promise<T>>();

  constructor(private readonly max: number) {}

  get(key: string, build: () => Promise<T>): Promise<T> {
    let entry = this.entries.get(key);
    if (!entry) {
      this.builds++;
      entry = build();
      this.entries.set(key, entry);
      entry.catch(() => this.entries.delete(key));
      if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
    }
    return entry;
  }
}

/** Beyond this many applications to send, a snapshot is as cheap and simpler to apply (as for deltas). */
export const DEFINITION_DELTA_MAX_APPLICATIONS = 1000;

export class DefinitionDeltaCache {
  /** Definition documents built: once per (environment, head, shard). */
  readonly definitions = new SharedBuilds<SharedDefinition>(32);
  /** Application changes built: once per (environment, from, head, shard). */
  readonly changes = new SharedBuilds<DefinitionChanges | 'snapshot'>(256);

  constructor(private readonly db: Database) {}

  definition(envId: string, head: number, tags: readonly string[]): Promise<SharedDefinition> {
    return this.definitions.get(`${envId}\u0000${head}\u0000${shardKey(tags)}`, async () => {
      const built = await buildDefinitionDocument(this.db, envId, [...tags]);
      const json = canonicalJson(built.definition);
      return { definitionVersion: built.definitionVersion, json, digest: digestOf(json) };
    });
  }

  applicationChanges(
    envId: string,
    tags: readonly string[],
    from: number,
    head: number,
  ): Promise<DefinitionChanges | 'snapshot'> {
    return this.changes.get(`${envId}\u0000${from}\u0000${head}\u0000${shardKey(tags)}`, () =>
      buildChanges(this.db, envId, tags, from, head),
    );
  }
}

const caches = new WeakMap<Database, DefinitionDeltaCache>();

export function definitionDeltaCache(db: Database): DefinitionDeltaCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = new DefinitionDeltaCache(db);
    caches.set(db, cache);
  }
  return cache;
}

async function buildChanges(
  db: Database,
  envId: string,
  tags: readonly string[],
  from: number,
  head: number,
): Promise<DefinitionChanges | 'snapshot'> {
  const rows = (await definitionChangeRowsBetween(db, envId, from, head)).filter((r) => servesApi(tags, r.apiTags));
  if (rows.some((r) => r.apiPk === null)) return 'snapshot';
  const changed = await applicationsChangedBetween(db, envId, from, head, DEFINITION_DELTA_MAX_APPLICATIONS + 1);
  if (changed.length > DEFINITION_DELTA_MAX_APPLICATIONS) return 'snapshot';
  // Read after the changes, as for deltas (sync.ts): a prune committed meanwhile shows here.
  if (from < (await prunedThrough(db, envId))) return 'snapshot';

  const apis = await loadDeployedApis(db, envId, { shardTags: [...tags] });
  const affected = await applicationsAffected(db, envId, tags, rows, apis, DEFINITION_DELTA_MAX_APPLICATIONS + 1);
  const ids = [...new Set([...changed, ...affected])];
  if (ids.length > DEFINITION_DELTA_MAX_APPLICATIONS) return 'snapshot';
  const upsert = await compileApplications(db, envId, apis, { applicationIds: ids });
  const kept = new Set(upsert.map((a) => a.id));
  return {
    fromCursor: formatCursor(from),
    // An application with nothing left in this shard (its API left it, its plan is no longer served) is removed.
    applications: { upsert, delete: ids.filter((id) => !kept.has(id)).sort() },
  };
}

/**
 * Applications with an accepted subscription whose presence in this shard's document differs between
 * the revision served before the range and the one deployed now: the plan or the API entered or left.
 * A redeployment serving the same plans to the same shard affects none.
 */
async function applicationsAffected(
  db: Database,
  envId: string,
  tags: readonly string[],
  rows: DefinitionChangeRow[],
  now: Map<string, Api>,
  limit: number,
): Promise<string[]> {
  const firstRevision = new Map<string, number | null>();
  for (const row of rows) {
    const pk = row.apiPk as string;
    const seen = firstRevision.get(pk);
    if (seen === undefined || (row.apiRevision !== null && (seen === null || row.apiRevision < seen)))
      firstRevision.set(pk, row.apiRevision);
  }
  const affected = new Set<string>();
  for (const [apiPk, first] of firstRevision) {
    const before = await servedBefore(db, apiPk, first, tags);
    const current = now.get(apiPk);
    const after = current ? { id: current.id, plans: current.plans.map((p) => p.id) } : null;
    const planSlugs = changedPlans(before, after);
    if (planSlugs.length === 0) continue;
    const subs = await db
      .selectDistinct({ applicationId: subscriptions.applicationId })
      .from(subscriptions)
      .innerJoin(plans, eq(plans.pk, subscriptions.planPk))
      .where(
        and(
          eq(subscriptions.envId, envId),
          eq(subscriptions.apiPk, apiPk),
          eq(subscriptions.status, 'accepted'),
          planSlugs === 'all' ? undefined : inArray(plans.slug, planSlugs),
        ),
      )
      .limit(limit);
    for (const s of subs) affected.add(s.applicationId);
    if (affected.size >= limit) break;
  }
  return [...affected];
}

type Served = { id: string; plans: string[] } | null;

/** What this shard served of the API before the range: the latest revision below the first one in it. */
async function servedBefore(
  db: Database,
  apiPk: string,
  firstRevision: number | null,
  tags: readonly string[],
): Promise<Served> {
  const [row] = await db
    .select({ snapshot: deployments.snapshot })
    .from(deployments)
    .where(
      and(eq(deployments.apiPk, apiPk), firstRevision === null ? undefined : lt(deployments.revision, firstRevision)),
    )
    .orderBy(desc(deployments.revision))
    .limit(1);
  // Deleted (no deployments left) or never deployed before: nothing was served.
  if (!row || firstRevision === null) return null;
  const shape = servedShapeOf(row.snapshot as unknown as ApiSnapshot);
  return shape && servesApi(tags, shape.tags) ? { id: shape.id, plans: shape.plans } : null;
}

/** Plans whose subscriptions entered or left the document ('all' when the API's id itself changed). */
function changedPlans(before: Served, after: Served): string[] | 'all' {
  if (before && after && before.id !== after.id) return 'all';
  const a = new Set(before?.plans ?? []);
  const b = new Set(after?.plans ?? []);
  return [...new Set([...a, ...b])].filter((p) => a.has(p) !== b.has(p));
}
