import type { Upstream as UpstreamConfig } from '@gatehouse/config';
import { afterEach, describe, expect, it } from 'vitest';
import { PoolManager } from './pool-manager.js';
import { readAll, startServer, type TestServer } from './test-support/servers.js';
import { Upstream } from './upstream.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
});

const config = (url: string, extra: Partial<UpstreamConfig> = {}) =>
  ({ targets: [{ url }], ...extra }) as UpstreamConfig;

describe('PoolManager', () => {
  it('shares one pool per origin and settings across config versions and keeps its connections warm', async () => {
    server = await startServer();
    const pools = new PoolManager();
    const v1 = new Upstream('api', config(`${server.url}/a`), pools);
    await readAll((await v1.send({ method: 'GET', path: '/', headers: {}, body: null })).body);
    // A new config version for a different API on the same target reuses the pool (and its open socket).
    const v2 = new Upstream('other', config(`${server.url}/b`), pools);
    await v1.close();
    await pools.collect();
    await new Promise((resolve) => setImmediate(resolve)); // undici frees a socket one loop turn after a response
    await readAll((await v2.send({ method: 'GET', path: '/', headers: {}, body: null })).body);
    expect(pools.size).toBe(1);
    expect(server.connections).toBe(1);

    // Different pool settings need a pool of their own.
    const v3 = new Upstream('api', config(server.url, { pool: { connections: 4 } }), pools);
    expect(pools.size).toBe(2);
    await v2.close();
    await v3.close();
    await pools.collect();
    expect(pools.size).toBe(0);
    await pools.close();
  });

  it('keeps dynamic-target pools until their Upstream closes', async () => {
    server = await startServer();
    const pools = new PoolManager();
    const upstream = new Upstream('api', config('http://127.0.0.1:9'), pools);
    const response = await upstream.send({
      method: 'GET',
      path: '/',
      headers: {},
      body: null,
      overrides: { targetUrl: server.url },
    });
    await readAll(response.body);
    await pools.collect();
    expect(pools.size).toBe(2);
    await upstream.close();
    await pools.collect();
    expect(pools.size).toBe(0);
  });
});
