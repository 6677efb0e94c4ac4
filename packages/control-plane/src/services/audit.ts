/**
 * The audit trail: every mutation writes one event in the same transaction as the change, with
 * a field-level diff of the public representation. Secret-looking fields are redacted again here
 * as a second line of defence, since representations should never contain them in the first place.
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from '../auth/context.js';
import type { Database } from '../db/connect.js';
import { auditEvents } from '../db/schema.js';

const SECRET_FIELD = /(password|secret|token|^key$|apikey|keyhash|hash$|credential|authorization)/i;
export const REDACTED = '[redacted]';

export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        SECRET_FIELD.test(k) ? REDACTED : redact(v),
      ]),
    );
  }
  return value;
}

export type Diff = Record<string, { from?: unknown; to?: unknown }>;

/** Top-level field diff; nested objects are compared whole (and shown whole, redacted). */
export function diffOf(before: object | null | undefined, after: object | null | undefined): Diff {
  const a = (redact(before ?? {}) ?? {}) as Record<string, unknown>;
  const b = (redact(after ?? {}) ?? {}) as Record<string, unknown>;
  const diff: Diff = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (key === 'updatedAt' || key === 'createdAt') continue;
    const from = a[key];
    const to = b[key];
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    const entry: { from?: unknown; to?: unknown } = {};
    if (from !== undefined) entry.from = from;
    if (to !== undefined) entry.to = to;
    diff[key] = entry;
  }
  return diff;
}

export interface AuditEntry {
  envId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  before?: object | null;
  after?: object | null;
}

export async function recordAudit(db: Database, actor: Actor | null, entry: AuditEntry): Promise<void> {
  await db.insert(auditEvents).values({
    id: randomUUID(),
    envId: entry.envId,
    actorId: actor?.userId ?? null,
    actorEmail: actor?.email ?? 'system',
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId,
    diff: diffOf(entry.before, entry.after),
    requestId: actor?.requestId ?? null,
  });
}
