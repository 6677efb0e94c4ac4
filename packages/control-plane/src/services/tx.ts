import type { Database } from '../db/connect.js';

interface TxContext {
  root: Database;
  hooks: Array<(root: Database) => void>;
}
const contexts = new WeakMap<object, TxContext>();

/** Runs `fn` in a transaction; the change and its audit event commit together or not at all. */
export async function inTransaction<T>(db: Database, fn: (tx: Database) => Promise<T>): Promise<T> {
  // A nested call (a savepoint) hands its hooks to the outermost transaction: they wait for the real commit.
  const outer = contexts.get(db);
  const context: TxContext = outer ?? { root: db, hooks: [] };
  const result = await db.transaction((tx) => {
    contexts.set(tx, context);
    return fn(tx as unknown as Database);
  });
  if (!outer) for (const hook of context.hooks) hook(context.root);
  return result;
}

/**
 * Runs `hook` once the transaction `tx` has committed (never on rollback), with the root database
 * handle. For side effects outside the database, such as waking gateways up.
 */
export function onCommit(tx: Database, hook: (root: Database) => void): void {
  const context = contexts.get(tx);
  if (!context) throw new Error('onCommit needs a transaction opened by inTransaction');
  context.hooks.push(hook);
}
