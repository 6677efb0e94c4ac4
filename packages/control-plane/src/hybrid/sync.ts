/**
 * `GET /gateway/sync`: what a gateway needs to catch up from its cursor. A snapshot (its shard of
 * the environment's document), a delta (only the applications whose credentials changed, when the
 * definition it holds is still current) or `unchanged`. Messages are built here and signed by the
 * route.
 */
import type { Application, ConfigDocument } from '@gatehouse/config';
import {
  buildEnvironmentDocument,
  compileApplications,
  definitionVersionOf,
  loadDeployedApis,
} from '../compiler/compile.js';
import type { Database } from '../db/connect.js';
import { applicationsChangedBetween, definitionChangesBetween, formatCursor, headSeq, parseCursor } from './changes.js';
import { servesApi } from './sharding.js';

/** Beyond this many changed applications a snapshot is as cheap as a delta, and simpler to apply. */
export const DELTA_MAX_APPLICATIONS = 1000;

export interface SyncGateway {
  envId: string;
  tags: string[];
}

export type SyncMessage =
  | { kind: 'snapshot'; cursor: string; definitionVersion: string; document: ConfigDocument }
  | {
      kind: 'delta';
      cursor: string;
      fromCursor: string;
      definitionVersion: string;
      applications: { upsert: Application[]; delete: string[] };
    }
  | { kind: 'unchanged'; cursor: string };

export async function syncMessage(
  db: Database,
  gateway: SyncGateway,
  cursor: string | undefined,
): Promise<SyncMessage> {
  // Read the head first: everything up to it is committed (see changes.ts), and whatever the
  // compilation below sees on top of it is sent again in the next delta, which is harmless.
  const head = await headSeq(db, gateway.envId);
  const from = parseCursor(cursor);
  if (from === undefined || from > head) return snapshot(db, gateway, head);
  if (from === head) return { kind: 'unchanged', cursor: formatCursor(head) };

  const definitionChanges = await definitionChangesBetween(db, gateway.envId, from, head);
  if (definitionChanges.some((apiTags) => servesApi(gateway.tags, apiTags))) return snapshot(db, gateway, head);
  const changed = await applicationsChangedBetween(db, gateway.envId, from, head, DELTA_MAX_APPLICATIONS + 1);
  if (changed.length > DELTA_MAX_APPLICATIONS) return snapshot(db, gateway, head);

  const apis = await loadDeployedApis(db, gateway.envId, { shardTags: gateway.tags });
  const upsert = await compileApplications(db, gateway.envId, apis, { applicationIds: changed });
  const kept = new Set(upsert.map((a) => a.id));
  return {
    kind: 'delta',
    cursor: formatCursor(head),
    fromCursor: formatCursor(from),
    definitionVersion: definitionVersionOf([...apis.values()].sort((a, b) => a.id.localeCompare(b.id))),
    // An application with nothing left in this shard (subscription closed, deleted) is removed.
    applications: { upsert, delete: changed.filter((id) => !kept.has(id)).sort() },
  };
}

async function snapshot(db: Database, gateway: SyncGateway, head: number): Promise<SyncMessage> {
  const { document, definitionVersion } = await buildEnvironmentDocument(db, gateway.envId, {
    shardTags: gateway.tags,
  });
  return { kind: 'snapshot', cursor: formatCursor(head), definitionVersion, document };
}
