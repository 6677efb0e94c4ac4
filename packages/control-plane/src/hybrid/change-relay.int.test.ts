/**
 * Two control-plane replicas on one PostgreSQL database: a gateway streaming change events from
 * replica B hears of a deploy made on replica A (LISTEN/NOTIFY), without waiting for its poll,
 * and B ends its stream when A revokes it.
 */
import { randomUUID } from 'node:crypto';
import { silentLogger } from '@gatehouse/core';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { type DatabaseHandle, openDatabase } from '../db/connect.js';
import { backends, createHarness, type Harness } from '../test-support/harness.js';

const postgres = backends().find((b) => b.name === 'postgres')!;
/** Only bounds a failing run: without the relay, replica B never sends the event at all. */
const GIVE_UP_MS = 10_000;

describe.skipIf(postgres.skipReason !== undefined)(
  `change events across replicas on postgres${postgres.skipReason ? ` (${postgres.skipReason})` : ''}`,
  () => {
    let h: Harness;
    let second: DatabaseHandle;
    let replicaB: FastifyInstance;
    let baseB: string;

    beforeAll(async () => {
      h = await createHarness(postgres);
      const rows = (await h.db.execute(sql`SELECT current_schema() AS schema`)) as unknown as {
        rows: Array<{ schema: string }>;
      };
      // Replica B: its own pool on the same database and schema, as behind a load balancer.
      second = await openDatabase({ databaseUrl: postgres.url, searchPath: rows.rows[0]!.schema, poolSize: 4 });
      replicaB = await buildApp({ db: second.db, orgId: h.orgId, secretBox: h.secretBox, logger: silentLogger() });
      baseB = await replicaB.listen({ host: '127.0.0.1', port: 0 });
    }, 120_000);
    afterAll(async () => {
      await replicaB?.close();
      await second?.close();
      await h?.close();
    });

    it('a gateway streaming from replica B sees a deploy made on replica A, and its revocation', async () => {
      const { env } = await h.createEnvironmentWithApi();
      const gw = (await h.call('POST', `${env}/gateways`, { body: { name: 'b-side' } })).json<{
        id: string;
        token: string;
      }>();

      const response = await fetch(`${baseB}/api/v1/gateway/events`, {
        headers: { authorization: `Bearer ${gw.token}`, accept: 'text/event-stream' },
      });
      expect(response.status).toBe(200);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = '';
      /** The next `changed` cursor, or 'ended' when the stream closes. */
      const nextEvent = async (): Promise<string> => {
        for (;;) {
          const end = buffered.indexOf('\n\n');
          if (end >= 0) {
            const block = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const data = /^event: changed\ndata: (.*)$/m.exec(block);
            if (data) return (JSON.parse(data[1]!) as { cursor: string }).cursor;
            continue;
          }
          const chunk = await reader.read();
          if (chunk.done) return 'ended';
          buffered += chunk.value;
        }
      };
      const within = (p: Promise<string>) =>
        Promise.race([
          p,
          new Promise<string>((resolve) => setTimeout(() => resolve('not relayed'), GIVE_UP_MS).unref()),
        ]);

      const initial = await within(nextEvent());
      expect(initial).toMatch(/^c:\d+$/);
      const deployed = await h.call('POST', `${env}/apis/orders/deployments`, { body: {} });
      expect(deployed.statusCode, deployed.body).toBe(201);
      const changed = await within(nextEvent());
      expect(changed).toMatch(/^c:\d+$/);
      expect(Number(changed.slice(2))).toBeGreaterThan(Number(initial.slice(2)));

      expect((await h.call('POST', `${env}/gateways/${gw.id}/revoke`, { body: {} })).statusCode).toBeLessThan(300);
      // Revocation also appends nothing a gateway syncs, so the stream's next news is its end.
      let next = await within(nextEvent());
      while (next.startsWith('c:')) next = await within(nextEvent());
      expect(next).toBe('ended');
    }, 60_000);

    it('tokens and heads are cached per replica, yet a revocation or re-tokening on A stops the token on B', async () => {
      const slug = `env-${randomUUID().slice(0, 8)}`;
      expect((await h.call('POST', '/api/v1/environments', { body: { id: slug } })).statusCode).toBe(201);
      const env = `/api/v1/environments/${slug}`;
      const register = async (name: string) =>
        (await h.call('POST', `${env}/gateways`, { body: { name } })).json<{ id: string; token: string }>();
      const syncOn = (base: string, token: string, headers: Record<string, string> = {}) =>
        fetch(`${base}/api/v1/gateway/sync?cursor=c:0`, { headers: { authorization: `Bearer ${token}`, ...headers } });
      const baseA = await h.app.listen({ host: '127.0.0.1', port: 0 });
      /** Polls until B answers `status` (the notification crosses replicas asynchronously). */
      const eventually = async (token: string, status: number) => {
        const giveUp = Date.now() + GIVE_UP_MS;
        let last = 0;
        while (Date.now() < giveUp) {
          last = (await syncOn(baseB, token)).status;
          if (last === status) return last;
          await new Promise((r) => setTimeout(r, 20));
        }
        return last;
      };

      const revoked = await register('revoked');
      const rotated = await register('rotated');
      for (const gw of [revoked, rotated]) {
        // Cached on both replicas.
        expect((await syncOn(baseA, gw.token)).status).toBe(200);
        expect((await syncOn(baseB, gw.token)).status).toBe(200);
        expect((await syncOn(baseB, gw.token)).status).toBe(200);
      }
      expect((await h.call('POST', `${env}/gateways/${revoked.id}/revoke`, { body: {} })).statusCode).toBeLessThan(300);
      // On the replica that revoked: at once (its cache is dropped when the transaction commits).
      expect((await syncOn(baseA, revoked.token)).status).toBe(401);
      expect(await eventually(revoked.token, 401)).toBe(401);

      const retoken = await h.call('POST', `${env}/gateways/${rotated.id}/rotate-token`, {
        body: { gracePeriod: '0s' },
      });
      expect(retoken.statusCode, retoken.body).toBeLessThan(300);
      expect((await syncOn(baseA, rotated.token)).status).toBe(401);
      expect(await eventually(rotated.token, 401)).toBe(401);
      const fresh = retoken.json<{ token: string }>().token;

      // Heads: a change made on A, asked of B with the cursor its event announced, is never `unchanged`.
      const head = (await (await syncOn(baseB, fresh)).json()) as { cursor: string };
      const app = await h.call('POST', `${env}/applications`, { body: { name: 'head-mover' } });
      expect(app.statusCode, app.body).toBe(201);
      const patched = await h.call('PATCH', `${env}/applications/${app.json<{ id: string }>().id}`, {
        body: { name: 'head-moved' },
      });
      expect(patched.statusCode, patched.body).toBe(200);
      const aHead = (await (await syncOn(baseA, fresh)).json()) as { cursor: string };
      expect(aHead.cursor).not.toBe(head.cursor);
      const answer = (await (
        await fetch(`${baseB}/api/v1/gateway/sync?cursor=${head.cursor}`, {
          headers: { authorization: `Bearer ${fresh}`, 'gatehouse-expect-cursor': aHead.cursor },
        })
      ).json()) as { kind: string; cursor: string };
      expect(answer.cursor).toBe(aHead.cursor);
    }, 60_000);
  },
);
