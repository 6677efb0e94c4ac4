/**
 * Fans change events out across control-plane replicas on one PostgreSQL database: each replica
 * NOTIFYs what it publishes and LISTENs for the others' (skipping its own by origin id), then
 * delivers to its own gateway streams. The listener holds one connection of the pool for as long
 * as the control plane runs, and reconnects with backoff if it drops; meanwhile gateways still
 * learn of changes by their poll. On PGlite there is one process, so nothing is relayed.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@gatehouse/core';
import pg from 'pg';
import type { Database } from '../db/connect.js';
import { type ChangeBus, changeBus, type HybridEvent } from './events.js';

const CHANNEL = 'gatehouse_hybrid_events';

interface Envelope {
  origin: string;
  envId: string;
  event: HybridEvent;
}

export interface ChangeRelay {
  /** Resolves once this replica is listening (or at once when there is nothing to listen to). */
  ready: Promise<void>;
  close(): Promise<void>;
}

const running = new WeakMap<Database, { relay: ChangeRelay; users: number }>();

/** One relay per database handle, however many apps are built on it (they share its bus). */
export function startChangeRelay(db: Database, logger: Logger): ChangeRelay {
  const existing = running.get(db);
  const shared = existing ?? { relay: openRelay(db, logger), users: 0 };
  shared.users++;
  running.set(db, shared);
  let released = false;
  return {
    ready: shared.relay.ready,
    async close() {
      if (released) return;
      released = true;
      if (--shared.users > 0) return;
      running.delete(db);
      await shared.relay.close();
    },
  };
}

function openRelay(db: Database, logger: Logger): ChangeRelay {
  const pool = (db as unknown as { $client?: unknown }).$client;
  if (!(pool instanceof pg.Pool)) return { ready: Promise.resolve(), close: async () => undefined };
  const bus = changeBus(db);
  const origin = randomUUID();
  bus.relay = {
    send(envId, event) {
      const payload: Envelope = { origin, envId, event };
      pool.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(payload)]).catch((error: unknown) => {
        logger.warn({ err: error }, 'change event not relayed to other control-plane replicas');
      });
    },
  };
  let closed = false;
  let client: pg.PoolClient | undefined;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;

  const listen = async (): Promise<void> => {
    const c = await pool.connect();
    client = c;
    c.on('notification', (message) => receive(bus, origin, message.payload));
    c.on('error', (error) => {
      logger.warn({ err: error }, 'change relay connection lost; reconnecting');
      drop(c, error);
    });
    await c.query(`LISTEN ${CHANNEL}`);
    failures = 0;
    bus.setListening(true);
  };
  const drop = (c: pg.PoolClient, error?: Error) => {
    if (client !== c) return;
    client = undefined;
    bus.setListening(false);
    c.release(error ?? true);
    if (!closed) scheduleRetry();
  };
  const scheduleRetry = () => {
    failures++;
    const step = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
    retry = setTimeout(() => void listen().catch(onFailure), Math.round(step * (0.5 + Math.random())));
    retry.unref();
  };
  const onFailure = (error: unknown) => {
    logger.warn({ err: error }, 'change relay cannot listen; gateways on other replicas rely on their poll');
    if (client) drop(client, error as Error);
    else if (!closed) scheduleRetry();
  };
  const ready = listen().catch(onFailure);

  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(retry);
      bus.setListening(false);
      bus.relay = undefined;
      await ready;
      const c = client;
      client = undefined;
      if (c) {
        await c.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
        c.release();
      }
    },
  };
}

function receive(bus: ChangeBus, origin: string, payload: string | undefined): void {
  if (!payload) return;
  let envelope: Envelope;
  try {
    envelope = JSON.parse(payload) as Envelope;
  } catch {
    return;
  }
  if (envelope.origin === origin || typeof envelope.envId !== 'string') return;
  const event = envelope.event;
  if (event?.type === 'changed' && typeof event.cursor === 'string') bus.deliver(envelope.envId, event);
  else if (
    (event?.type === 'gateway-revoked' || event?.type === 'gateway-changed') &&
    typeof event.gatewayId === 'string'
  )
    bus.deliver(envelope.envId, event);
}
