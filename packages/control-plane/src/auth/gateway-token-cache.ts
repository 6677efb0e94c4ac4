/**
 * Gateway tokens already looked up, kept in memory so a fleet's polls, syncs and heartbeats do not
 * each cost a database query. An entry is dropped by the change bus when its gateway is revoked,
 * deleted or re-tokened: on this replica at commit, on the others through LISTEN/NOTIFY
 * (change-relay.ts). While the relay is not listening nothing is cached or served from the cache
 * (a revocation could go unheard), and entries are re-read after MAX_AGE_MS in any case.
 *
 * A replica of an older build publishes no event when it rotates a token (the event came with this
 * cache), so a sweep (gateway-token-sweep.ts) also compares each cached gateway's row version with
 * the database every few seconds: that bounds how long any change, by any build, goes unnoticed.
 */
import type { ChangeBus } from '../hybrid/events.js';
import type { GatewayPrincipal } from './gateway-token.js';

const MAX_AGE_MS = 60_000;
const MAX_ENTRIES = 100_000;

export interface CachedGateway {
  principal: GatewayPrincipal;
  /** Epoch ms of the last last_seen_at write. */
  lastSeenAt: number;
  /** Epoch ms the token stops being valid (a previous token's grace end), or Infinity. */
  validUntil: number;
  /** The gateway row's row_version when it was read: any change to the row bumps it. */
  rowVersion: number;
}

interface Entry extends CachedGateway {
  cachedAt: number;
}

/** A lookup in flight: stored only if no invalidation happened meanwhile. */
export interface Lookup {
  generation: number;
}

export class GatewayTokenCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;

  constructor(private readonly bus: ChangeBus) {
    bus.watch({
      event: (_envId, event) => {
        if (event.type === 'gateway-revoked' || event.type === 'gateway-changed') this.drop(event.gatewayId);
      },
      reset: () => {
        this.entries.clear();
        this.generation++;
      },
    });
  }

  get(orgId: string, hash: string, now: number): CachedGateway | undefined {
    if (!this.bus.coherent) return undefined;
    const key = `${orgId}\u0000${hash}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (now >= entry.validUntil || now - entry.cachedAt > MAX_AGE_MS) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Call before reading the database; pass to put() after. */
  begin(): Lookup | undefined {
    return this.bus.coherent ? { generation: this.generation } : undefined;
  }

  put(lookup: Lookup, orgId: string, hash: string, value: CachedGateway): void {
    if (lookup.generation !== this.generation || !this.bus.coherent) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(`${orgId}\u0000${hash}`, { ...value, cachedAt: Date.now() });
  }

  /** The gateways with cached tokens and the row version each was read at (for the sweep). */
  cachedVersions(): Map<string, number> {
    const versions = new Map<string, number>();
    for (const entry of this.entries.values()) versions.set(entry.principal.id, entry.rowVersion);
    return versions;
  }

  /** Drops the gateways whose row is gone or changed since it was read (`current`: id -> row_version). */
  reconcile(read: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): void {
    for (const [id, version] of read) if (current.get(id) !== version) this.drop(id);
  }

  /** Forgets everything (a sweep that could not read the database must not extend any entry's life). */
  clear(): void {
    this.entries.clear();
    this.generation++;
  }

  private drop(gatewayId: string): void {
    // Also stops a lookup of this gateway in flight from storing what it read before the change.
    this.generation++;
    for (const [key, entry] of this.entries) if (entry.principal.id === gatewayId) this.entries.delete(key);
  }
}

const caches = new WeakMap<ChangeBus, GatewayTokenCache>();

export function gatewayTokenCache(bus: ChangeBus): GatewayTokenCache {
  let cache = caches.get(bus);
  if (!cache) {
    cache = new GatewayTokenCache(bus);
    caches.set(bus, cache);
  }
  return cache;
}
