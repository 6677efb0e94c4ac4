/**
 * Keyset pagination: `ORDER BY <sort>, <id>` and a cursor holding the last row's (sort value, id).
 * Stable under inserts, O(limit) per page, and every list is bounded by `limit <= 100`.
 */
import { type AnyColumn, and, asc, desc, eq, gt, lt, or, type SQL, sql } from 'drizzle-orm';
import { invalid } from './validation.js';

export interface SortColumn {
  column: AnyColumn;
  /**
   * 'timestamp': a timestamptz column paged at its full (microsecond) precision; the rows' sort value
   * is its exact text (`YYYY-MM-DDTHH:MM:SS.ffffffZ`), where a JS Date would cut it to milliseconds
   * and a page could skip rows.
   */
  kind: 'text' | 'date' | 'number' | 'timestamp';
}

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
    // A forged cursor's values would otherwise reach SQL casts (or toISOString) and fail as a 500.
    const badValue =
      ((spec.kind === 'date' || spec.kind === 'timestamp') &&
        (typeof c.v !== 'string' || Number.isNaN(Date.parse(c.v as string)))) ||
      (spec.kind === 'timestamp' && !TIMESTAMP.test(String(c.v)));
    if (badValue || (idColumn.columnType === 'PgUUID' && !UUID.test(c.id)))
      throw invalid('query.cursor', 'is not a valid cursor');
    const after = descending ? lt : gt;
    if (spec.kind === 'timestamp') {
      const op = sql.raw(descending ? '<' : '>');
      const at = sql`${String(c.v)}::timestamptz`;
      where = sql`(${spec.column} ${op} ${at} OR (${spec.column} = ${at} AND ${idColumn} ${op} ${c.id}))`;
    } else {
      const value = spec.kind === 'date' ? new Date(c.v) : c.v;
      where = or(after(spec.column, value), and(eq(spec.column, value), after(idColumn, c.id)));
    }
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
