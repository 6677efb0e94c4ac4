import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '@gatehouse/core';
import { syntheticOpenApi } from '@gatehouse/policies/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type RunningGateway, startGateway } from './gateway.js';
import { startTestUpstream, type TestUpstream } from './testing/index.js';

/**
 * A hot reload of a Stripe-sized OpenAPI document (4.8 MB) whose content changed: the document is
 * read, checked and indexed while the current version keeps serving, and the swap is atomic.
 * Generation 2 changes two things at once: a response header (config) and the `limit` maximum (document).
 */
describe('hot reload of a large changed OpenAPI document', () => {
  let dir: string;
  let upstream: TestUpstream;
  let gateway: RunningGateway;
  const text = JSON.stringify(syntheticOpenApi());
  const config = (generation: number) =>
    stringify({
      version: 1,
      apis: [
        {
          id: 'large',
          name: 'Large',
          basePath: '/api',
          openapi: 'openapi.json',
          upstream: { targets: [{ url: upstream.url }] },
          plans: [{ id: 'open', security: { type: 'keyless' } }],
          policies: [
            { policy: 'openapi-validation', config: { unknownOperations: 'reject' } },
            { policy: 'set-headers', config: { response: { set: { 'x-generation': String(generation) } } } },
          ],
        },
      ],
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gh-reload-large-'));
    upstream = await startTestUpstream();
    await writeFile(path.join(dir, 'openapi.json'), text);
    await writeFile(path.join(dir, 'gateway.yaml'), config(1));
    gateway = await startGateway({
      configFile: path.join(dir, 'gateway.yaml'),
      watch: false,
      host: '127.0.0.1',
      port: 0,
      adminPort: 0,
      logger: silentLogger(),
      accessLog: 'off',
    });
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves requests during the reload from the old version, then the new one, never a mix', async () => {
    const withinV1 = `${gateway.url}/api/v1/resource_1?limit=5`;
    const onlyV2 = `${gateway.url}/api/v1/resource_1?limit=500`;
    expect((await fetch(withinV1)).headers.get('x-generation')).toBe('1');
    expect((await fetch(onlyV2)).status).toBe(400);

    const changed = text.replaceAll('"maximum":100}', '"maximum":1000}');
    expect(changed).not.toBe(text);
    await writeFile(path.join(dir, 'openapi.json'), changed);
    await writeFile(path.join(dir, 'gateway.yaml'), config(2));

    let reloading = true;
    const reload = gateway.reload().finally(() => {
      reloading = false;
    });
    // Sequential requests while the reload runs: which version answered each, and whether it finished before the reload.
    const seen: Array<{ version: 1 | 2; duringReload: boolean }> = [];
    let after = 0;
    while (reloading || after++ < 4) {
      const probe = seen.length % 2 === 0 ? withinV1 : onlyV2;
      const res = await fetch(probe);
      await res.arrayBuffer();
      const version =
        probe === withinV1 ? (res.headers.get('x-generation') === '2' ? 2 : 1) : res.status === 200 ? 2 : 1;
      if (probe === onlyV2) expect([200, 400]).toContain(res.status);
      seen.push({ version, duringReload: reloading });
    }
    expect(await reload).toMatchObject({ ok: true });

    // The old version kept answering while the new document was prepared: many requests (a few
    // hundred on a loaded 2-core VM), not the handful that slip in before a blocking compile (4 there).
    expect(seen.filter((s) => s.duringReload && s.version === 1).length).toBeGreaterThanOrEqual(50);
    // Atomic: once any answer came from version 2 (header or document), no later one came from version 1.
    const firstNew = seen.findIndex((s) => s.version === 2);
    expect(firstNew).toBeGreaterThan(0);
    expect(seen.slice(firstNew).every((s) => s.version === 2)).toBe(true);
    expect((await fetch(onlyV2)).status).toBe(200);
    expect((await fetch(withinV1)).headers.get('x-generation')).toBe('2');
  }, 180_000);
});
