/**
 * basic-auth's password checks cost tens of milliseconds of CPU each. Clients sending wrong
 * passwords must not slow down anyone else on the gateway: hashes are checked off the event loop,
 * with a bounded number running and waiting (503 beyond), and failures are throttled per user and
 * address (429; unit-tested beside the policy, and turned off here so every attempt is checked).
 */
import { startTestGateway, startTestUpstream, type TestGateway, type TestUpstream } from '@gatehouse/gateway/testing';
import bcrypt from 'bcrypt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ATTACKERS = 8;
const ATTACK_MS = 2_000;

function api(id: string, targetUrl: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    name: id,
    basePath: `/${id}`,
    upstream: { targets: [{ url: targetUrl }] },
    plans: [{ id: 'open', security: { type: 'keyless' } }],
    ...extra,
  };
}

describe('wrong basic-auth passwords do not stall other APIs', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await startTestUpstream();
    // Cost 11: over a tenth of a second of CPU per check, a common production setting.
    const passwordHash = await bcrypt.hash('the-right-password', 11);
    gw = await startTestGateway({
      version: 1,
      apis: [
        api('bystander', upstream.url),
        api('reports', upstream.url, {
          policies: [
            {
              policy: 'basic-auth',
              config: { credentials: [{ username: 'auditor', passwordHash }], maxFailures: 1_000_000 },
            },
          ],
        }),
      ],
    });
    await (await gw.fetch('/bystander/warm')).arrayBuffer();
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it(`keeps a keyless API fast while ${ATTACKERS} clients send wrong passwords`, async () => {
    const authorization = `Basic ${Buffer.from('auditor:guess').toString('base64')}`;
    const deadline = Date.now() + ATTACK_MS;
    const statuses: number[] = [];
    const attackers = Array.from({ length: ATTACKERS }, async () => {
      while (Date.now() < deadline) {
        const res = await gw.fetch('/reports/x', { headers: { authorization } });
        await res.arrayBuffer();
        statuses.push(res.status);
      }
    });
    const latencies: number[] = [];
    await new Promise((resolve) => setTimeout(resolve, 100));
    while (Date.now() < deadline) {
      const started = performance.now();
      const res = await gw.fetch('/bystander/ping');
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      latencies.push(performance.now() - started);
    }
    await Promise.all(attackers);

    // Hashing on the event loop, not one bystander request got through in the window (measured).
    expect(latencies.length).toBeGreaterThanOrEqual(5);
    latencies.sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length / 2)]).toBeLessThan(250);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 401 || status === 503)).toBe(true);
  }, 60_000);
});
