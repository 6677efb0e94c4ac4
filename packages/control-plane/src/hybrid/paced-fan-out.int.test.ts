/**
 * The paced fan-out through the real routes (PGlite, real HTTP streams): with a window of 3 and no
 * time-driven waves, a deploy tells 3 of 10 streams; each answered sync tells one more; a management
 * call is answered while streams still wait; in the end every stream hears of the change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../test-support/harness.js';

const WINDOW = 3;
const GATEWAYS = 10;
const GW = '/api/v1/gateway';

/** The `changed` cursors of one event stream, read as they come. */
function follow(response: Response) {
  const cursors: string[] = [];
  let waiters: Array<() => void> = [];
  let buffered = '';
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (chunk.done) return;
      buffered += chunk.value;
      for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
        const data = /^event: changed\ndata: (.*)$/m.exec(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
        if (data) cursors.push((JSON.parse(data[1]!) as { cursor: string }).cursor);
      }
      for (const w of waiters) w();
      waiters = [];
    }
  })();
  return {
    cursors,
    /** Resolves once `n` events came. */
    async count(n: number) {
      while (cursors.length < n) await new Promise<void>((r) => waiters.push(r));
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
}

describe('paced fan-out of change events', () => {
  let h: Harness;
  let base: string;

  beforeAll(async () => {
    // Waves only on answers here (no time-driven wave within the test), so what is told is exact.
    h = await createHarness({ name: 'pglite' }, { fanOut: { window: WINDOW, waveMs: 3_600_000 } });
    await h.reset();
    base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  }, 240_000);
  afterAll(async () => {
    await h?.close();
  });

  it('tells a window of streams, one more per answered sync, answers management calls meanwhile, and reaches every stream', async () => {
    const { env } = await h.createEnvironmentWithApi();
    const tokens: string[] = [];
    for (let i = 0; i < GATEWAYS; i++)
      tokens.push(
        (await h.call('POST', `${env}/gateways`, { body: { name: `paced-${i}` } })).json<{ token: string }>().token,
      );
    const streams = await Promise.all(
      tokens.map(async (token) => {
        const res = await fetch(`${base}${GW}/events`, {
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        });
        expect(res.status).toBe(200);
        return follow(res);
      }),
    );
    // The first event of each stream (the current cursor) is not paced.
    await Promise.all(streams.map((s) => s.count(1)));

    const deployed = await h.call('POST', `${env}/apis/orders/deployments`, { body: {} });
    expect(deployed.statusCode, deployed.body).toBe(201);
    const told = () => streams.filter((s) => s.cursors.length >= 2);
    await Promise.race(streams.map((s) => s.count(2)));
    // A management call over HTTP, answered while most streams wait for the window: by its answer
    // the first wave's events have long been written, and no more than the window.
    const listed = await fetch(`${base}${env}/apis`, { headers: { authorization: `Bearer ${h.adminToken}` } });
    expect(listed.status).toBe(200);
    await Promise.all(told().map((s) => s.count(2)));
    expect(told().length).toBe(WINDOW);

    // Each told gateway syncs; each answer lets one more stream be told, until all are.
    const synced = new Set<number>();
    let sent = 0;
    while (synced.size < GATEWAYS) {
      const next = streams.findIndex((s, i) => s.cursors.length >= 2 && !synced.has(i));
      if (next < 0) {
        // The next stream is told once the last sync's answer went out.
        await Promise.race(streams.filter((_, i) => !synced.has(i)).map((s) => s.count(2)));
        continue;
      }
      synced.add(next);
      sent++;
      const res = await fetch(`${base}${GW}/sync`, { headers: { authorization: `Bearer ${tokens[next]}` } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      // Never more told than the window plus the syncs sent so far.
      expect(told().length).toBeLessThanOrEqual(WINDOW + sent);
    }
    const cursor = streams[0]!.cursors[1]!;
    expect(streams.every((s) => s.cursors[1] === cursor)).toBe(true);
    for (const s of streams) await s.cancel();
  }, 120_000);
});
