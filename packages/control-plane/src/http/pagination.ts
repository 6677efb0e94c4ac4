/**
 * Keyset pagination: `ORDER BY <sort>, <id>` and a cursor holding the last row's (sort value, id).
 * Stable under inserts, O(limit) per page, and every list is bounded by `limit <= 100`.
 */
import { type AnyColumn, and, asc, desc, eq, gt, lt, or, type SQL } from 'drizzle-orm';
import { invalid } from './validation.js';

export interface SortColumn {
  column: AnyColumn;
  kind: 'text' | 'date' | 'number';
}

export interface PageRequest {
  limit?: number | undefined;
  cursor?: string | undefined;
  sort?: string | undefined;
}

interface CursorData {
  s: string;
  v: string | number;
  id: string;
}

export function encodeCursor(data: CursorData): string {
  return Buffer.from(JSON.stringify(data)).toString('base64url');
}

function decodeCursor(cursor: string, sort: string): CursorData {
  try {
    const data = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorData;
    if (typeof data.id !== 'string' || (typeof data.v !== 'string' && typeof data.v !== 'number')) throw new Error();
    if (data.s !== sort) throw invalid('query.cursor', 'was issued for another sort order');
    return data;
  } catch (error) {
    if (error instanceof Error && error.name === 'GatewayError') throw error;
    throw invalid('query.cursor', 'is not a valid cursor');
  }
}

export interface KeysetPlan {
  where: SQL | undefined;
  orderBy: SQL[];
  limit: number;
  /** Builds the page answer from limit+1 fetched rows. */
  page<T>(
    rows: T[],
    sortValue: (row: T) => string | number | Date,
    idOf: (row: T) => string,
  ): { items: T[]; nextCursor: string | null };
}

export function keyset(
  request: PageRequest,
  columns: Record<string, SortColumn>,
  idColumn: AnyColumn,
  defaultSort: string,
): KeysetPlan {
  const sort = request.sort ?? defaultSort;
  const descending = sort.startsWith('-');
  const spec = columns[descending ? sort.slice(1) : sort];
  if (!spec) throw invalid('query.sort', 'is not a sortable field');
  const limit = Math.min(Math.max(request.limit ?? 20, 1), 100);
  let where: SQL | undefined;
  if (request.cursor) {
    const c = decodeCursor(request.cursor, sort);
    const value = spec.kind === 'date' ? new Date(c.v) : c.v;
    const after = descending ? lt : gt;
    where = or(after(spec.column, value), and(eq(spec.column, value), after(idColumn, c.id)));
  }
  const dir = descending ? desc : asc;
  return {
    where,
    orderBy: [dir(spec.column), dir(idColumn)],
    limit: limit + 1,
    page(rows, sortValue, idOf) {
      const more = rows.length > limit;
      const items = more ? rows.slice(0, limit) : rows;
      const last = items[items.length - 1];
      let nextCursor: string | null = null;
      if (more && last !== undefined) {
        const raw = sortValue(last);
        nextCursor = encodeCursor({ s: sort, v: raw instanceof Date ? raw.toISOString() : raw, id: idOf(last) });
      }
      return { items, nextCursor };
    },
  };
}
