import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConfigDocument } from '@gatehouse/config';
import { silentLogger } from '@gatehouse/core';
import { MemoryCounterStore, MemoryResponseCacheStore } from '@gatehouse/policies';
import { syntheticOpenApi } from '@gatehouse/policies/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type CompileDependencies, compileConfig } from './compile.js';
import { type RunningGateway, startGateway } from './gateway.js';
import { prepareConfig, preparedMockKey } from './prepare.js';
import { startTestUpstream, type TestUpstream } from './testing/index.js';
import { PoolManager } from './upstream/index.js';

let dir: string;
let upstream: TestUpstream;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gh-reload-prepare-'));
  upstream = await startTestUpstream();
});
afterAll(async () => {
  await upstream?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('mock mode in the prepare step', () => {
  it('builds a changed mock before the compile, yielding to the event loop, and the compile uses it', async () => {
    const pools = new PoolManager({ logger: silentLogger() });
    const deps: CompileDependencies = {
      logger: silentLogger(),
      counters: new MemoryCounterStore(),
      responseCache: new MemoryResponseCacheStore(),
      pools,
      baseDir: dir,
    };
    // A document no earlier test compiled (the mock cache would answer at once).
    const openapi = syntheticOpenApi({ paths: 60, schemas: 80 });
    (openapi.info as Record<string, unknown>).title = 'mock prepare test';
    const doc = {
      version: 1,
      apis: [
        {
          id: 'mocked',
          name: 'Mocked',
          basePath: '/mock',
          openapi,
          upstream: { targets: [{ url: upstream.url }], mock: {} },
          plans: [{ id: 'open', security: { type: 'keyless' } }],
        },
      ],
    } as unknown as ConfigDocument;
    let turns = 0;
    let preparing = true;
    const count = () => {
      turns++;
      if (preparing) setImmediate(count);
    };
    setImmediate(count);
    const prepared = await prepareConfig(doc, deps);
    preparing = false;
    const mock = prepared.get(preparedMockKey('mocked'));
    expect(mock).toMatchObject({ preferHeader: true });
    // Built in many turns (a worker's pieces, then slices), not in one synchronous call.
    expect(turns).toBeGreaterThan(10);
    const compiled = compileConfig(doc, { ...deps, prepared });
    expect(compiled.apis[0]?.mock).toBe(mock);
    await compiled.close();
    await pools.close();
  }, 60_000);
});

describe('reload after editing only a referenced file', () => {
  let gateway: RunningGateway;
  const openapi = (maximum: number) =>
    JSON.stringify({
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: {
        '/items': {
          get: {
            parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', maximum } }],
            responses: { '200': { description: 'ok' } },
          },
        },
      },
    });

  beforeAll(async () => {
    await writeFile(path.join(dir, 'openapi.json'), openapi(10));
    await writeFile(
      path.join(dir, 'gateway.yaml'),
      stringify({
        version: 1,
        apis: [
          {
            id: 'items',
            name: 'Items',
            basePath: '/api',
            openapi: 'openapi.json',
            upstream: { targets: [{ url: upstream.url }] },
            plans: [{ id: 'open', security: { type: 'keyless' } }],
            policies: [{ policy: 'openapi-validation', config: {} }],
          },
        ],
      }),
    );
    gateway = await startGateway({
      configFile: path.join(dir, 'gateway.yaml'),
      watch: false,
      host: '127.0.0.1',
      port: 0,
      adminPort: 0,
      logger: silentLogger(),
      accessLog: 'off',
    });
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
  });

  it('re-reads the OpenAPI file on reload (SIGHUP) and applies it; an untouched one is unchanged', async () => {
    const url = `${gateway.url}/api/items?limit=50`;
    expect((await fetch(url)).status).toBe(400);
    expect(await gateway.reload()).toMatchObject({ ok: true, unchanged: true });

    await writeFile(path.join(dir, 'openapi.json'), openapi(100));
    const result = await gateway.reload();
    expect(result.ok).toBe(true);
    expect(result.unchanged).toBeUndefined();
    expect((await fetch(url)).status).toBe(200);
  }, 60_000);
});
