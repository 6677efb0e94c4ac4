/** Heartbeats arriving together are written as one batch, with the same result as one by one. */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gatewayHeartbeats, gateways } from '../db/schema.js';
import { createHarness, describeOnBackends, type Harness } from '../test-support/harness.js';
import { HeartbeatWriter } from './heartbeats.js';

describeOnBackends('heartbeat group commit', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backend);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('writes concurrent heartbeats in one batch, keeping first-seen times, merged errors and capabilities', async () => {
    const slug = `env-${randomUUID().slice(0, 8)}`;
    expect((await h.call('POST', '/api/v1/environments', { body: { id: slug } })).statusCode).toBe(201);
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c'])
      ids.push(
        (await h.call('POST', `/api/v1/environments/${slug}/gateways`, { body: { name } })).json<{ id: string }>().id,
      );
    const writer = new HeartbeatWriter(h.db);
    const t1 = new Date('2026-01-01T00:00:00Z');
    const t2 = new Date('2026-01-01T00:00:01Z');
    const capabilities = [{ name: 'api-key', version: '1', kind: 'policy' }];
    await writer.record(ids[0]!, { appliedRevisions: { orders: 1 }, capabilities }, t1);
    expect(writer.batches).toBe(1);

    // The first write starts at once; the other four wait for it and go together.
    await Promise.all([
      writer.record(ids[1]!, { appliedRevisions: { orders: 1 } }, t1),
      writer.record(
        ids[0]!,
        { appliedRevisions: { orders: 1 }, errors: [{ at: '2026-01-01T00:00:00Z', message: 'x' }] },
        t2,
      ),
      writer.record(ids[2]!, { appliedRevisions: { orders: 2 } }, t2),
      writer.record(
        ids[0]!,
        { appliedRevisions: { orders: 2 }, errors: [{ at: '2026-01-01T00:00:01Z', message: 'y' }] },
        t2,
      ),
      writer.record(ids[1]!, { appliedRevisions: { orders: 1 } }, t2),
    ]);
    expect(writer.batches).toBe(3);

    const rows = await h.db.select().from(gatewayHeartbeats).where(eq(gatewayHeartbeats.gatewayId, ids[0]!));
    expect(rows[0]!.applied).toEqual({ orders: { revision: 2, at: t2.toISOString() } });
    expect(rows[0]!.errors.map((e) => e.message)).toEqual(['y', 'x']);
    expect(rows[0]!.capabilities).toEqual(capabilities);
    const b = await h.db.select().from(gatewayHeartbeats).where(eq(gatewayHeartbeats.gatewayId, ids[1]!));
    // Revision 1 was first reported at t1: the later heartbeat keeps that time.
    expect(b[0]!.applied).toEqual({ orders: { revision: 1, at: t1.toISOString() } });
    const seen = await h.db.select({ lastSeenAt: gateways.lastSeenAt }).from(gateways).where(eq(gateways.id, ids[2]!));
    expect(seen[0]!.lastSeenAt?.toISOString()).toBe(t2.toISOString());
  });
});
