import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simpleDocument, startTestGateway, useTestGateway } from './testing/index.js';

const openapi = {
  openapi: '3.1.0',
  info: { title: 'Pets', version: '1' },
  paths: {
    '/pets': {
      get: {
        responses: {
          '200': {
            description: 'ok',
            content: { 'application/json': { examples: { two: { value: [{ id: 1 }, { id: 2 }] } } } },
          },
        },
      },
    },
    '/pets/{petId}': {
      get: {
        responses: {
          '200': {
            description: 'ok',
            content: {
              'application/json': {
                schema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
              },
            },
          },
          '404': { description: 'no', content: { 'application/json': { example: { error: 'not found' } } } },
        },
      },
    },
  },
};

describe('mock mode through the gateway', () => {
  const mockOn = (upstreamUrl: string, mock: Record<string, unknown> = {}) =>
    simpleDocument(
      upstreamUrl,
      {
        openapi,
        upstream: { targets: [{ url: upstreamUrl }], mock },
        plans: [
          {
            id: 'keyed',
            security: { type: 'api-key' },
            policies: [{ policy: 'rate-limit', config: { limit: 2, window: '1h' } }],
          },
        ],
      },
      {
        applications: [
          {
            id: 'app',
            name: 'App',
            subscriptions: [{ api: 'test', plan: 'keyed', apiKeys: [{ key: 'mock-key-123' }] }],
          },
        ],
      },
    );
  const { gw, upstream } = useTestGateway((up) => mockOn(up.url));
  const key = { 'x-api-key': 'mock-key-123' };

  it('answers from the document without calling the upstream, marked as a mock; policies still run', async () => {
    const res = await gw.fetch('/test/pets', { headers: key });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-mock')).toBe('true');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('ratelimit-limit') ?? res.headers.get('ratelimit-policy')).toBeTruthy();
    expect(await res.json()).toEqual([{ id: 1 }, { id: 2 }]);

    const missing = await gw.fetch('/test/pets/9', { headers: { ...key, prefer: 'code=404' } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not found' });

    // Authentication first: no key, no mock.
    const anonymous = await gw.fetch('/test/pets');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('x-gatehouse-mock')).toBeNull();
    // The rate limit of the plan (2 per hour) applies to mocked answers too.
    expect((await gw.fetch('/test/pets', { headers: key })).status).toBe(429);
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers 404/405 problems for what the document does not describe, and switches to the upstream when disabled', async () => {
    const other = await startTestGateway(
      simpleDocument(upstream.url, { openapi, upstream: { targets: [{ url: upstream.url }], mock: {} } }),
    );
    try {
      const unknown = await other.fetch('/test/owners');
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('content-type')).toContain('application/problem+json');
      expect((await unknown.json()).code).toBe('no_route');
      const wrongMethod = await other.fetch('/test/pets', { method: 'DELETE' });
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
      const generated = await other.fetch('/test/pets/3');
      expect(await generated.json()).toEqual({ id: 0, name: 'string' });

      const result = other.apply(
        simpleDocument(upstream.url, {
          openapi,
          upstream: { targets: [{ url: upstream.url }], mock: { enabled: false } },
        }),
      );
      expect(result).toMatchObject({ ok: true });
      const real = await other.fetch('/test/pets');
      expect(real.headers.get('x-gatehouse-mock')).toBeNull();
      expect(upstream.requests).toHaveLength(1);
    } finally {
      await other.close();
    }
  });
});

describe('mock mode in a standalone YAML setup', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gh-mock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the document from a file next to the config and refuses impossible choices at load', async () => {
    writeFileSync(path.join(dir, 'pets.json'), JSON.stringify(openapi));
    // The target does not exist: in mock mode nothing connects to it.
    const doc = simpleDocument('http://127.0.0.1:9', {
      openapi: 'pets.json',
      upstream: {
        targets: [{ url: 'http://127.0.0.1:9' }],
        mock: { operations: { 'GET /pets/{petId}': { status: 404 } } },
      },
    });
    const configFile = path.join(dir, 'gatehouse.yaml');
    writeFileSync(configFile, JSON.stringify(doc));
    const gw = await startTestGateway(undefined, { configFile, watch: false });
    try {
      const res = await gw.fetch('/test/pets/1');
      expect(res.status).toBe(404);
      const bad = gw.apply(
        simpleDocument('http://127.0.0.1:9', {
          openapi: 'pets.json',
          upstream: {
            targets: [{ url: 'http://127.0.0.1:9' }],
            mock: { operations: { 'GET /pets': { status: 201 } } },
          },
        }),
      );
      expect(JSON.stringify(bad)).toMatch(/GET \/pets: declares no response 201/);
      // The previous version keeps serving.
      expect((await gw.fetch('/test/pets/1')).status).toBe(404);
    } finally {
      await gw.close();
    }
  });
});
