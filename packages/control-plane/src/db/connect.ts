import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import type { Logger } from '@gatehouse/core';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { schema } from './schema.js';

/** The query builder over either backend; code never branches on which one it is. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  db: Database;
  /**
   * The gateway protocol's pool (heartbeats, sync, analytics ingest): no management or analytics
   * load can take its connections. The same handle as `db` on PGlite (one connection anyway).
   */
  protocolDb: Database;
  /** Analytics queries' pool: at most this many heavy queries run at once, the rest wait here. */
  analyticsDb: Database;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres://... : use PostgreSQL. Otherwise embedded PGlite. */
  databaseUrl?: string | undefined;
  /** Where PGlite persists; in memory when omitted (tests). */
  dataDir?: string | undefined;
  /** PostgreSQL schema to use (tests isolate runs this way); must already exist. */
  searchPath?: string | undefined;
  poolSize?: number | undefined;
  /** Connections of the gateway-protocol pool (default 4). */
  protocolPoolSize?: number | undefined;
  /** Connections of the analytics-query pool (default 2). */
  analyticsPoolSize?: number | undefined;
  logger?: Logger | undefined;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    if (options.searchPath !== undefined && !/^[a-z_][a-z0-9_]*$/.test(options.searchPath)) {
      throw new Error(`invalid schema name "${options.searchPath}"`);
    }
    const pools: pg.Pool[] = [];
    const open = (max: number, name: string, waitMs?: number) => {
      const pool = new pg.Pool({
        connectionString: options.databaseUrl,
        max,
        ...(waitMs ? { connectionTimeoutMillis: waitMs } : {}),
        application_name: `gatehouse-${name}`,
        ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
      });
      // An idle client's network error would otherwise crash the process.
      pool.on('error', (error) => options.logger?.error({ err: error, pool: name }, 'postgres pool error'));
      pools.push(pool);
      return drizzlePg({ client: pool, schema }) as unknown as Database;
    };
    const db = open(options.poolSize ?? 10, 'management');
    const protocolDb = open(options.protocolPoolSize ?? 4, 'protocol');
    // Dashboards queue for the analytics pool; past 15 s of waiting they are told to come back later.
    const analyticsDb = open(options.analyticsPoolSize ?? 2, 'analytics', 15_000);
    const close = async () => {
      await Promise.all(pools.map((pool) => pool.end()));
    };
    try {
      await db.execute(sql`SELECT 1`);
    } catch (error) {
      await close();
      throw error;
    }
    return { db, protocolDb, analyticsDb, kind: 'postgres', close };
  }
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const client = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  const db = drizzlePglite({ client, schema }) as unknown as Database;
  return { db, protocolDb: db, analyticsDb: db, kind: 'pglite', close: () => client.close() };
}

/** Rows of a raw `db.execute` result; both drivers answer `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}
