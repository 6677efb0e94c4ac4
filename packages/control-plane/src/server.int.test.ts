/** startControlPlane on embedded PGlite: first start, restart, persistence, docs, loopback binding. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@gatehouse/core';
import { afterAll, describe, expect, it } from 'vitest';
import { users } from './db/schema.js';
import { startControlPlane } from './server.js';

describe('startControlPlane with PGlite under a data dir', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('bootstraps, persists across a restart and serves the docs', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-cp-'));
    const stderr = process.stderr.write;
    let printed = '';
    process.stderr.write = ((chunk: string) => {
      printed += chunk;
      return true;
    }) as typeof process.stderr.write;
    let t = performance.now();
    let cp = await startControlPlane({ port: 0, dataDir: dir, logger: silentLogger() }).finally(() => {
      process.stderr.write = stderr;
    });
    const cold = performance.now() - t;
    expect(cp.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cp.generatedAdminPassword).toBeDefined();
    expect(printed).toContain(cp.generatedAdminPassword!);

    const login = await fetch(`${cp.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@gatehouse.local', password: cp.generatedAdminPassword }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('access-control-allow-origin')).toBeNull();
    // Nothing asked for a cheaper cost (tests do, explicitly): the admin's hash has production's.
    const [admin] = await cp.db.select({ hash: users.passwordHash }).from(users);
    expect(admin?.hash.split('$')[3]?.split(',').sort()).toEqual(['m=65536', 'p=4', 't=3']);
    const { token } = (await login.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${cp.url}/api/v1/environments/default/apis`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        id: 'orders',
        name: 'Orders',
        basePath: '/orders',
        upstream: { targets: [{ url: 'http://127.0.0.1:9101' }] },
      }),
    });
    expect(created.status).toBe(201);
    const openapi = (await (await fetch(`${cp.url}/api/v1/openapi.json`)).json()) as { openapi: string; paths: object };
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toContain('/api/v1/environments/{env}/apis/{apiId}/deployments');
    expect((await fetch(`${cp.url}/api/v1/docs`)).status).toBeLessThan(400);
    await cp.close();

    t = performance.now();
    cp = await startControlPlane({ port: 0, dataDir: dir, logger: silentLogger() });
    const warm = performance.now() - t;
    expect(cp.generatedAdminPassword).toBeUndefined();
    const again = await fetch(`${cp.url}/api/v1/environments/default/apis/orders`, { headers: auth });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { name: string }).name).toBe('Orders');
    await cp.close();
    console.log(`PGlite start: cold ${Math.round(cold)} ms, warm ${Math.round(warm)} ms`);
  }, 120_000);
});
