/**
 * Notifications for gateways' event streams. Fed after commit by the change log (changes.ts) and by
 * token revocation. One bus per database handle, so several control planes in one process (tests)
 * stay apart. On PostgreSQL the bus also relays every event to the other control-plane replicas
 * on the same database through LISTEN/NOTIFY (change-relay.ts), so a gateway streaming from any
 * replica hears of a change made on another at once; on PGlite (one process) it stays in-process.
 */
import type { Database } from '../db/connect.js';

export type HybridEvent =
  | { type: 'changed'; cursor: string }
  | { type: 'gateway-revoked'; gatewayId: string }
  /** The gateway's token or record changed (a rotation): in-memory copies are dropped, streams stay. */
  | { type: 'gateway-changed'; gatewayId: string };
type Listener = (event: HybridEvent) => void;
/** Sees every environment's events; `reset` when events may have been missed (the relay dropped). */
export interface Watcher {
  event(envId: string, event: HybridEvent): void;
  reset(): void;
}

/** Carries events to other replicas (change-relay.ts). */
export interface EventRelay {
  send(envId: string, event: HybridEvent): void;
}

export class ChangeBus {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly watchers = new Set<Watcher>();
  relay: EventRelay | undefined;
  private relayListening = false;

  /**
   * Whether this replica hears every event (in-memory caches may be trusted): always in one process
   * (no relay), and with a relay only while it listens. Events missed while not listening are not
   * replayed, so caches are reset when listening stops.
   */
  get coherent(): boolean {
    return this.relay === undefined || this.relayListening;
  }

  /** Set by the relay (change-relay.ts). */
  setListening(listening: boolean): void {
    if (this.relayListening === listening) return;
    this.relayListening = listening;
    for (const watcher of this.watchers) watcher.reset();
  }

  /** Every event of every environment (the in-memory caches). */
  watch(watcher: Watcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Listens to one environment; returns the unsubscribe function. */
  subscribe(envId: string, listener: Listener): () => void {
    let set = this.listeners.get(envId);
    if (!set) {
      set = new Set();
      this.listeners.set(envId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(envId);
    };
  }

  /** An event of this replica: its own streams at once, the other replicas through the relay. */
  publish(envId: string, event: HybridEvent): void {
    this.deliver(envId, event);
    this.relay?.send(envId, event);
  }

  /** An event to this replica's streams only (what the relay received from another replica). */
  deliver(envId: string, event: HybridEvent): void {
    // Caches first: a stream told of a change must find the caches already moved.
    for (const watcher of this.watchers) watcher.event(envId, event);
    for (const listener of this.listeners.get(envId) ?? []) listener(event);
  }

  listenerCount(envId: string): number {
    return this.listeners.get(envId)?.size ?? 0;
  }
}

const buses = new WeakMap<Database, ChangeBus>();

export function changeBus(db: Database): ChangeBus {
  let bus = buses.get(db);
  if (!bus) {
    bus = new ChangeBus();
    buses.set(db, bus);
  }
  return bus;
}
