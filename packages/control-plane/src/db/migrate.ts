import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from './connect.js';
import { MIGRATIONS, type Migration } from './migrations.js';

// Arbitrary constant: serialises concurrent control planes migrating the same PostgreSQL database.
const MIGRATION_LOCK_ID = 4_770_001;

export interface MigrationResult {
  applied: number[];
  current: number;
}

/**
 * Applies pending migrations, all in one transaction: a failure leaves the schema as it was.
 * A database newer than this build (unknown versions) is refused rather than silently used.
 */
export async function migrate(db: Database, migrations: Migration[] = MIGRATIONS): Promise<MigrationResult> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
    await tx.execute(
      sql.raw(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz(3) NOT NULL DEFAULT now()
      )`),
    );
    const rows = rowsOf<{ version: number }>(
      await tx.execute(sql`SELECT version FROM schema_migrations ORDER BY version`),
    );
    const done = new Set(rows.map((r) => Number(r.version)));
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...done].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      throw new Error(`database has migrations this build does not know (${unknown.join(', ')}): upgrade Gatehouse`);
    }
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements) await tx.execute(sql.raw(statement));
      await tx.execute(
        sql`INSERT INTO schema_migrations (version, name) VALUES (${migration.version}, ${migration.name})`,
      );
      applied.push(migration.version);
    }
    return { applied, current: Math.max(0, ...done, ...applied) };
  });
}
