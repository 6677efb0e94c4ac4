import type { Database } from '../db/connect.js';

/** Runs `fn` in a transaction; the change and its audit event commit together or not at all. */
export function inTransaction<T>(db: Database, fn: (tx: Database) => Promise<T>): Promise<T> {
  return db.transaction((tx) => fn(tx as unknown as Database));
}
