import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('header-check through the gateway', () => {
  const { gw, upstream } = useTestGateway((upstream) =>
    simpleDocument(
      upstream.url,
      {
        // A keyed API: the header check must answer before security asks for credentials.
        plans: [{ id: 'keyed', security: { type: 'api-key' } }],
        policies: [
          {
            policy: 'header-check',
            config: { required: [{ name: 'x-tenant', pattern: '^[a-z]+$' }], forbidden: [{ name: 'x-debug' }] },
          },
        ],
      },
      {
        applications: [
          {
            id: 'app',
            name: 'App',
            subscriptions: [{ api: 'test', plan: 'keyed', apiKeys: [{ key: 'key-0123456789' }] }],
          },
        ],
      },
    ),
  );

  it('rejects before security with 400 listing each offending header', async () => {
    const res = await gw.fetch('/test/x', { headers: { 'x-debug': '1' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: 'validation_failed',
      errors: [
        { path: 'headers.x-tenant', message: 'is required' },
        { path: 'headers.x-debug', message: 'is not allowed' },
      ],
    });
  });

  it('lets a well-formed request on to security and the upstream', async () => {
    expect((await gw.fetch('/test/x', { headers: { 'x-tenant': 'acme' } })).status).toBe(401);
    expect((await gw.fetch('/test/x', { headers: { 'x-tenant': 'acme', 'x-api-key': 'key-0123456789' } })).status).toBe(
      200,
    );
    expect(upstream.requests).toHaveLength(1);
  });
});
