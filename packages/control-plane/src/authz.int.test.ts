/**
 * Walks every operation of the OpenAPI document with every role and without a token, and checks
 * each answer against the authorization table: 401 without credentials, 403 when the table says
 * no, and neither when it says yes. Gateway-protocol operations (scope `gateway`) are not for
 * users: every user token gets 401 there, and only a gateway token gets through; that gateway
 * token opens no user route.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Action, isAllowed, PERMISSIONS, type Role } from './auth/permissions.js';
import { createHarness, describeOnBackends, type Harness } from './test-support/harness.js';

const ENV = '/api/v1/environments/default';
type Caller = { name: string; token: string | null; isAdmin: boolean; role: Role | undefined };

describeOnBackends('authorization table', (backend) => {
  let h: Harness;
  const ids: Record<string, string> = {};
  const callers: Caller[] = [];
  let gatewayToken: string;

  beforeAll(async () => {
    h = await createHarness(backend);
    await h.call('POST', `${ENV}/apis`, {
      body: {
        id: 'orders',
        name: 'Orders',
        basePath: '/orders',
        upstream: { targets: [{ url: 'http://127.0.0.1:9' }] },
        lifecycle: 'published',
        visibility: 'public',
      },
    });
    await h.call('POST', `${ENV}/apis/orders/plans`, { body: { id: 'gold', security: { type: 'api-key' } } });
    await h.call('POST', `${ENV}/apis/orders/deployments`, { body: {} });
    await h.call('POST', `${ENV}/apis/orders/pages`, { body: { slug: 'intro', title: 'Intro', markdown: '# Hi' } });
    await h.call('PUT', `${ENV}/portal`, { body: { enabled: true } });
    ids.appId = (await h.call('POST', `${ENV}/applications`, { body: { name: 'App' } })).json().id;
    ids.subId = (
      await h.call('POST', `${ENV}/applications/${ids.appId}/subscriptions`, {
        body: { apiId: 'orders', planId: 'gold' },
      })
    ).json().id;
    ids.keyId = (await h.call('POST', `${ENV}/subscriptions/${ids.subId}/api-keys`)).json().id;
    const gateway = (await h.call('POST', `${ENV}/gateways`, { body: { name: 'gw' } })).json();
    ids.gatewayId = gateway.id;
    // A second gateway for the protocol walk: the user walk may revoke or delete the first.
    gatewayToken = (await h.call('POST', `${ENV}/gateways`, { body: { name: 'gw-protocol' } })).json().token;
    ids.userId = (await h.createUser('someone@example.test')).id;
    callers.push({ name: 'anonymous', token: null, isAdmin: false, role: undefined });
    callers.push({ name: 'platform-admin', token: h.adminToken, isAdmin: true, role: 'admin' });
    for (const role of ['admin', 'publisher', 'viewer', 'consumer'] as const) {
      callers.push({
        name: role,
        token: (await h.createUser(`role-${role}@example.test`, role)).token,
        isAdmin: false,
        role,
      });
    }
  }, 300_000); // harness start-up on a loaded machine
  afterAll(async () => {
    await h?.close();
  });

  it('checks every documented operation against the table', async () => {
    const doc = (await h.call('GET', '/api/v1/openapi.json', { token: null })).json();
    const operations: { method: string; path: string; action: Action }[] = [];
    for (const [path, item] of Object.entries(
      doc.paths as Record<string, Record<string, { 'x-gatehouse-action'?: Action }>>,
    )) {
      for (const [method, op] of Object.entries(item)) {
        expect(op['x-gatehouse-action'], `${method} ${path} has an action`).toBeDefined();
        operations.push({ method: method.toUpperCase(), path, action: op['x-gatehouse-action']! });
      }
    }
    expect(operations.length).toBeGreaterThan(40);
    // Logout ends the caller's session: walk it last.
    operations.sort((a, b) => Number(a.path.endsWith('/logout')) - Number(b.path.endsWith('/logout')));
    const values: Record<string, string> = {
      env: 'default',
      apiId: 'orders',
      planId: 'gold',
      revision: '1',
      tokenId: randomUUID(),
      pageId: 'intro',
      signupId: randomUUID(),
      ...ids,
    };
    const failures: string[] = [];
    let checked = 0;
    const gatewayOps = operations.filter((op) => PERMISSIONS[op.action].scope === 'gateway');
    expect(gatewayOps.map((op) => `${op.method} ${op.path}`).sort()).toEqual([
      'GET /api/v1/gateway/events',
      'GET /api/v1/gateway/signing-key',
      'GET /api/v1/gateway/sync',
      'POST /api/v1/gateway/analytics',
      'POST /api/v1/gateway/heartbeat',
    ]);
    for (const op of gatewayOps) {
      for (const caller of callers) {
        const res = await h.call(op.method, op.path, {
          token: caller.token,
          ...(op.method === 'GET' ? {} : { body: {} }),
        });
        checked++;
        if (res.statusCode !== 401) failures.push(`${caller.name} ${op.method} ${op.path} -> ${res.statusCode}`);
      }
      // The event stream never ends by itself; it is exercised over a real socket in hybrid.test.ts.
      if (op.path.endsWith('/events')) continue;
      const res = await h.call(op.method, op.path, {
        token: gatewayToken,
        ...(op.method === 'GET' ? {} : { body: op.path.endsWith('/analytics') ? { records: [] } : {} }),
      });
      if (res.statusCode >= 300) failures.push(`gateway ${op.method} ${op.path} -> ${res.statusCode} ${res.body}`);
    }
    for (const op of operations) {
      if (PERMISSIONS[op.action].scope === 'gateway') continue;
      const url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? 'missing');
      for (const caller of callers) {
        const res = await h.call(op.method, url, {
          token: caller.token,
          ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { body: {} }),
        });
        checked++;
        const rule = PERMISSIONS[op.action];
        let ok: boolean;
        if (rule.scope === 'public') ok = res.statusCode !== 401 && res.statusCode !== 403;
        else if (caller.token === null) ok = res.statusCode === 401;
        else if (isAllowed(op.action, caller, caller.isAdmin ? 'admin' : caller.role))
          ok = res.statusCode !== 401 && res.statusCode !== 403;
        else ok = res.statusCode === 403;
        if (!ok)
          failures.push(
            `${caller.name} ${op.method} ${url} (${op.action}) -> ${res.statusCode} ${res.body.slice(0, 120)}`,
          );
        if (res.statusCode >= 500) failures.push(`${caller.name} ${op.method} ${url} -> ${res.statusCode}`);
      }
      if (op.method === 'GET' && PERMISSIONS[op.action].scope !== 'public') {
        const res = await h.call(op.method, url, { token: gatewayToken });
        if (res.statusCode !== 401) failures.push(`gateway token ${op.method} ${url} -> ${res.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBe(operations.length * callers.length);
    expect(gatewayOps.length).toBeGreaterThan(0);
  });
});
