/**
 * Each environment's change-log head kept in memory, so a gateway's sync or stream does not read
 * it from the database (the most frequent answer, `unchanged`, needs nothing else). It is moved
 * by the change bus: this replica's commits at once, other replicas' through LISTEN/NOTIFY
 * (change-relay.ts). While the relay is not listening the database is read every time.
 *
 * A gateway woken by a change event names the cursor it expects (EXPECT_CURSOR_HEADER); a replica
 * whose cached head is behind it (the notification still on its way) reads the database, so the
 * sync that follows a change never answers `unchanged` for it.
 */
import type { Database } from '../db/connect.js';
import { headSeq, parseCursor } from './changes.js';
import { type ChangeBus, changeBus } from './events.js';

export class HeadCache {
  private readonly heads = new Map<string, number>();
  /** Bumped whenever cached heads are dropped: a database read begun before does not land. */
  private generation = 0;
  /** Database reads (tests and the benchmark read it). */
  reads = 0;

  constructor(
    private readonly db: Database,
    private readonly bus: ChangeBus,
  ) {
    bus.watch({
      event: (envId, event) => {
        if (event.type !== 'changed') return;
        const seq = parseCursor(event.cursor);
        const known = this.heads.get(envId);
        // Only environments already cached: everything up to seq is committed (changes.ts), so it is a head.
        if (seq !== undefined && known !== undefined && seq > known) this.heads.set(envId, seq);
      },
      reset: () => {
        this.heads.clear();
        this.generation++;
      },
    });
  }

  async get(envId: string, expected?: string): Promise<number> {
    const cached = this.bus.coherent ? this.heads.get(envId) : undefined;
    const want = parseCursor(expected);
    if (cached !== undefined && (want === undefined || cached >= want)) return cached;
    const generation = this.generation;
    const coherent = this.bus.coherent;
    this.reads++;
    const read = await headSeq(this.db, envId);
    if (coherent && this.bus.coherent && generation === this.generation)
      this.heads.set(envId, Math.max(read, this.heads.get(envId) ?? 0));
    return read;
  }
}

const caches = new WeakMap<Database, HeadCache>();

/** The cache reading through `db`, moved by the bus of `root` (the handle services publish on). */
export function headCache(db: Database, root: Database = db): HeadCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = new HeadCache(db, changeBus(root));
    caches.set(db, cache);
  }
  return cache;
}
