/**
 * In-process notifications for gateways' event streams. Fed after commit by the change log
 * (changes.ts) and by token revocation. One bus per database handle, so several control planes in
 * one process (tests) stay apart. Several control-plane replicas would relay these through
 * PostgreSQL LISTEN/NOTIFY; until then a gateway on another replica learns of a change by its
 * 10 s /sync poll.
 */
import type { Database } from '../db/connect.js';

export type HybridEvent = { type: 'changed'; cursor: string } | { type: 'gateway-revoked'; gatewayId: string };
type Listener = (event: HybridEvent) => void;

export class ChangeBus {
  private readonly listeners = new Map<string, Set<Listener>>();

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

  publish(envId: string, event: HybridEvent): void {
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
