/**
 * The change log behind credential deltas and change notifications. Every service that changes
 * what gateways receive appends here in its own transaction: `credentials` (an application, its
 * subscriptions or keys) or `definition` (a deployment, or a deployed API deleted).
 *
 * Writers of one environment take a transaction-scoped advisory lock before appending, so within
 * an environment sequence order is commit order: once a reader sees seq N, every change up to N is
 * committed and a cursor `c:N` never skips a late commit.
 */
import { and, eq, gt, lte, max, sql } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { configChanges } from '../db/schema.js';
import { onCommit } from '../services/tx.js';
import { changeBus } from './events.js';

// Arbitrary constant namespacing our advisory locks (the migration lock uses 4_770_001).
const CHANGE_LOCK_NAMESPACE = 4_770_002;

export type ConfigChange =
  | { kind: 'credentials'; applicationId: string }
  /** `apiPk`/`apiRevision` let a definition delta find the applications the change affects (0021). */
  | { kind: 'definition'; apiTags: string[]; apiPk?: string; apiRevision?: number | null };

export function formatCursor(seq: number): string {
  return `c:${seq}`;
}

/** The sequence number of a cursor, or undefined when it is not one of ours. */
export function parseCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const match = /^c:(\d{1,15})$/.exec(cursor);
  return match ? Number(match[1]) : undefined;
}

/** Appends changes in the caller's transaction; gateways are notified once it commits. */
export async function recordChanges(tx: Database, envId: string, changes: ConfigChange[]): Promise<void> {
  if (changes.length === 0) return;
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${CHANGE_LOCK_NAMESPACE}, hashtext(${envId}))`);
  const rows = await tx
    .insert(configChanges)
    .values(
      changes.map((change) =>
        change.kind === 'credentials'
          ? { envId, kind: change.kind, applicationId: change.applicationId }
          : {
              envId,
              kind: change.kind,
              apiTags: change.apiTags,
              apiPk: change.apiPk ?? null,
              apiRevision: change.apiRevision ?? null,
            },
      ),
    )
    .returning({ seq: configChanges.seq });
  const last = Math.max(...rows.map((r) => Number(r.seq)));
  onCommit(tx, (root) => changeBus(root).publish(envId, { type: 'changed', cursor: formatCursor(last) }));
}

export function recordCredentialChange(tx: Database, envId: string, applicationId: string): Promise<void> {
  return recordChanges(tx, envId, [{ kind: 'credentials', applicationId }]);
}

/** The environment's latest sequence number (0 before any change). */
export async function headSeq(db: Database, envId: string): Promise<number> {
  const [row] = await db
    .select({ seq: max(configChanges.seq) })
    .from(configChanges)
    .where(eq(configChanges.envId, envId));
  return Number(row?.seq ?? 0);
}

/** Sharding tags of the APIs whose deployed definition changed in (afterSeq, upToSeq]. */
export async function definitionChangesBetween(db: Database, envId: string, afterSeq: number, upToSeq: number) {
  const rows = await db
    .select({ apiTags: configChanges.apiTags })
    .from(configChanges)
    .where(and(inRange(envId, afterSeq, upToSeq), eq(configChanges.kind, 'definition')));
  return rows.map((r) => r.apiTags ?? []);
}

export interface DefinitionChangeRow {
  apiTags: string[];
  /** Null in rows written before migration 12. */
  apiPk: string | null;
  /** The revision deployed; null when the API was deleted. */
  apiRevision: number | null;
}

/** The definition changes in (afterSeq, upToSeq], oldest first. */
export async function definitionChangeRowsBetween(
  db: Database,
  envId: string,
  afterSeq: number,
  upToSeq: number,
): Promise<DefinitionChangeRow[]> {
  const rows = await db
    .select({ apiTags: configChanges.apiTags, apiPk: configChanges.apiPk, apiRevision: configChanges.apiRevision })
    .from(configChanges)
    .where(and(inRange(envId, afterSeq, upToSeq), eq(configChanges.kind, 'definition')))
    .orderBy(configChanges.seq);
  return rows.map((r) => ({ apiTags: r.apiTags ?? [], apiPk: r.apiPk, apiRevision: r.apiRevision }));
}

/** Applications whose credentials changed in (afterSeq, upToSeq], at most `limit` of them. */
export async function applicationsChangedBetween(
  db: Database,
  envId: string,
  afterSeq: number,
  upToSeq: number,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectDistinct({ applicationId: configChanges.applicationId })
    .from(configChanges)
    .where(and(inRange(envId, afterSeq, upToSeq), eq(configChanges.kind, 'credentials')))
    .limit(limit);
  return rows.map((r) => r.applicationId).filter((id): id is string => id !== null);
}

function inRange(envId: string, afterSeq: number, upToSeq: number) {
  return and(eq(configChanges.envId, envId), gt(configChanges.seq, afterSeq), lte(configChanges.seq, upToSeq));
}
