import { readFileSync } from 'node:fs';
import type { Logger } from '@gatehouse/core';
import { Pool } from 'undici';
import { HealthRegistry } from './health-registry.js';
import type { PoolSettings } from './settings.js';

interface PoolEntry {
  readonly pool: Pool;
  refs: number;
}

/** A counted reference to a shared pool; give it back with PoolManager.release(). */
export interface PoolLease {
  readonly key: string;
  readonly pool: Pool;
}

/**
 * Process-wide owner of the undici pools: one keep-alive Pool per target origin and pool settings, shared by
 * every Upstream (and config version) that uses them, so a reload keeps its warm connections.
 */
export class PoolManager {
  /** Health and breaker state shared across config versions; used by Upstreams not given their own registry. */
  readonly health = new HealthRegistry();
  readonly #pools = new Map<string, PoolEntry>();
  readonly #logger: Logger | undefined;

  constructor(options: { logger?: Logger } = {}) {
    this.#logger = options.logger;
  }

  /** Number of open pools (admin API, tests). */
  get size(): number {
    return this.#pools.size;
  }

  acquire(origin: string, settings: PoolSettings): PoolLease {
    const key = poolKey(origin, settings);
    let entry = this.#pools.get(key);
    if (!entry) {
      entry = { pool: createPool(origin, settings), refs: 0 };
      this.#pools.set(key, entry);
    }
    entry.refs++;
    return { key, pool: entry.pool };
  }

  release(lease: PoolLease): void {
    const entry = this.#pools.get(lease.key);
    if (entry && entry.pool === lease.pool && entry.refs > 0) entry.refs--;
  }

  /** Closes pools no live Upstream references; in-flight exchanges on them finish first. */
  async collect(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [key, entry] of this.#pools) {
      if (entry.refs > 0) continue;
      this.#pools.delete(key);
      closing.push(this.#closePool(key, entry.pool));
    }
    await Promise.all(closing);
  }

  async close(): Promise<void> {
    const entries = [...this.#pools];
    this.#pools.clear();
    await Promise.all(entries.map(([key, entry]) => this.#closePool(key, entry.pool)));
  }

  async #closePool(key: string, pool: Pool): Promise<void> {
    try {
      await pool.close();
    } catch (error) {
      this.#logger?.warn({ err: error, pool: key.slice(0, key.indexOf('|')) }, 'closing upstream pool failed');
    }
  }
}

function poolKey(origin: string, s: PoolSettings): string {
  const tls = s.tls ? `${s.tls.rejectUnauthorized}|${s.tls.ca ?? ''}|${s.tls.servername ?? ''}` : '';
  return `${origin}|${s.connectTimeoutMs}|${s.keepAliveTimeoutMs}|${s.connections}|${s.pipelining}|${tls}`;
}

function createPool(origin: string, s: PoolSettings): Pool {
  return new Pool(origin, {
    connections: s.connections,
    pipelining: s.pipelining,
    keepAliveTimeout: s.keepAliveTimeoutMs,
    connect: {
      timeout: s.connectTimeoutMs,
      ...(s.tls && {
        rejectUnauthorized: s.tls.rejectUnauthorized,
        ...(s.tls.ca !== undefined && { ca: readFileSync(s.tls.ca) }),
        ...(s.tls.servername !== undefined && { servername: s.tls.servername }),
      }),
    },
  });
}
