/**
 * What a first user hits following docs/control-plane.md with curl: bodiless POST/DELETE calls sent
 * with `content-type: application/json` (the docs' header array), and nothing but JSON on the
 * process output while creating APIs.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHarness, type Harness } from './test-support/harness.js';

const ENV = '/api/v1/environments/default';
const JSON_TYPE = { 'content-type': 'application/json' };

describe('bodiless calls with content-type: application/json', () => {
  let h: Harness;
  let subId: string;

  beforeAll(async () => {
    h = await createHarness({ name: 'pglite' });
    await h.call('POST', `${ENV}/apis`, {
      body: {
        id: 'orders',
        name: 'Orders',
        basePath: '/orders',
        upstream: { targets: [{ url: 'http://127.0.0.1:9101' }] },
        lifecycle: 'published',
        visibility: 'public',
      },
    });
    await h.call('POST', `${ENV}/apis/orders/plans`, { body: { id: 'gold', security: { type: 'api-key' } } });
    const app = await h.call('POST', `${ENV}/applications`, { body: { name: 'Mobile' } });
    const sub = await h.call('POST', `${ENV}/applications/${app.json<{ id: string }>().id}/subscriptions`, {
      body: { apiId: 'orders', planId: 'gold' },
    });
    subId = sub.json<{ id: string }>().id;
  }, 60_000);

  afterAll(async () => {
    await h.close();
  });

  it('creates and revokes a key, and revokes a gateway, with an empty JSON body', async () => {
    const created = await h.call('POST', `${ENV}/subscriptions/${subId}/api-keys`, { headers: JSON_TYPE });
    expect(created.statusCode, created.body).toBe(201);
    const keyId = created.json<{ id: string }>().id;
    const revoked = await h.call('DELETE', `${ENV}/subscriptions/${subId}/api-keys/${keyId}`, { headers: JSON_TYPE });
    expect(revoked.statusCode, revoked.body).toBeLessThan(300);

    const gateway = await h.call('POST', `${ENV}/gateways`, { body: { name: 'edge-1' } });
    const gatewayId = gateway.json<{ id: string }>().id;
    const revokedGateway = await h.call('POST', `${ENV}/gateways/${gatewayId}/revoke`, { headers: JSON_TYPE });
    expect(revokedGateway.statusCode, revokedGateway.body).toBeLessThan(300);
  });

  it('still refuses a body that is not JSON, and a whitespace-only body counts as empty', async () => {
    const bad = await h.call('POST', `${ENV}/applications`, { headers: JSON_TYPE, body: '{"name":' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ detail: string }>().detail).toBe('The body is not valid JSON.');
    const blank = await h.call('POST', `${ENV}/subscriptions/${subId}/api-keys`, { headers: JSON_TYPE, body: ' \n' });
    expect(blank.statusCode, blank.body).toBe(201);
    const proto = await h.call('POST', `${ENV}/applications`, {
      headers: JSON_TYPE,
      body: '{"name":"x","__proto__":{"admin":true}}',
    });
    expect(proto.statusCode).toBe(400);
  });

  it('prints nothing outside the logger while creating and reading APIs (no Ajv format warnings)', async () => {
    const spies = (['log', 'warn', 'error', 'info'] as const).map((m) => vi.spyOn(console, m));
    try {
      for (const id of ['catalog', 'billing']) {
        const res = await h.call('POST', `${ENV}/apis`, {
          body: {
            id,
            name: id,
            basePath: `/${id}`,
            upstream: { targets: [{ url: 'http://127.0.0.1:9101' }] },
          },
        });
        expect(res.statusCode, res.body).toBe(201);
        expect((await h.call('GET', `${ENV}/apis/${id}`)).statusCode).toBe(200);
      }
      expect((await h.call('GET', `${ENV}/apis`)).statusCode).toBe(200);
      for (const spy of spies) expect(spy.mock.calls.map((c) => String(c[0]))).toEqual([]);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
