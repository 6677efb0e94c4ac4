/**
 * schema.ts describes the DDL that migrations.ts creates; the two are written by hand and must agree.
 * After migrating, every table and column the query builder knows exists with the same nullability
 * and a compatible type, on PGlite and on PostgreSQL.
 */

import { sql } from 'drizzle-orm';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHarness, describeOnBackends, type Harness } from '../test-support/harness.js';
import { rowsOf } from './connect.js';
import { schema } from './schema.js';

interface ColumnRow {
  table_name: string;
  column_name: string;
  is_nullable: 'YES' | 'NO';
  data_type: string;
}

// Drizzle's column types and the information_schema data types they are created as.
const SQL_TYPES: Record<string, string[]> = {
  PgUUID: ['uuid'],
  PgText: ['text'],
  PgInteger: ['integer'],
  PgBigInt53: ['bigint'],
  PgBigInt64: ['bigint'],
  PgBigSerial53: ['bigint'],
  PgBigSerial64: ['bigint'],
  PgBoolean: ['boolean'],
  PgDoublePrecision: ['double precision'],
  PgJsonb: ['jsonb'],
  PgTimestamp: ['timestamp with time zone'],
  PgArray: ['ARRAY'],
};

describeOnBackends('schema.ts matches the migrated database', (backend) => {
  let h: Harness;
  let columns: Map<string, ColumnRow>;
  beforeAll(async () => {
    h = await createHarness(backend);
    const rows = rowsOf<ColumnRow>(
      await h.db.execute(sql`
        SELECT table_name, column_name, is_nullable, data_type
        FROM information_schema.columns WHERE table_schema = current_schema()`),
    );
    columns = new Map(rows.map((row) => [`${row.table_name}.${row.column_name}`, row]));
  }, 180_000);
  afterAll(async () => {
    await h?.close();
  });

  const tables = (Object.values(schema) as unknown[]).filter((value): value is PgTable => {
    try {
      getTableConfig(value as PgTable);
      return true;
    } catch {
      return false;
    }
  });

  it('describes at least the tables the harness truncates', () => {
    expect(tables.length).toBeGreaterThanOrEqual(15);
  });

  it('every described column exists with its nullability and type', () => {
    const problems: string[] = [];
    for (const table of tables) {
      const config = getTableConfig(table);
      for (const column of config.columns) {
        const row = columns.get(`${config.name}.${column.name}`);
        if (!row) {
          problems.push(`${config.name}.${column.name} is missing`);
          continue;
        }
        if ((row.is_nullable === 'NO') !== column.notNull) {
          problems.push(
            `${config.name}.${column.name}: nullable=${row.is_nullable}, described notNull=${column.notNull}`,
          );
        }
        const expected = SQL_TYPES[column.columnType];
        if (!expected) problems.push(`${config.name}.${column.name}: no mapping for ${column.columnType}`);
        else if (!expected.includes(row.data_type)) {
          problems.push(`${config.name}.${column.name}: ${row.data_type}, described ${column.columnType}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
