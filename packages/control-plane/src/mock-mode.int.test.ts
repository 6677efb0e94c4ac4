/**
 * Mock mode through the management API: an API imported with `mock: true` deploys into a document
 * whose `upstream.mock` gateways answer from (the hybrid round trip through a real gateway runs in
 * the docs test, docs/mock-mode.md); impossible choices are refused at deploy, as a gateway would.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createHarness, describeOnBackends, type Harness } from './test-support/harness.js';

const ENV = '/api/v1/environments/default';
const pets = {
  openapi: '3.1.0',
  info: { title: 'Pets', version: '1.0.0' },
  paths: {
    '/pets': {
      get: { responses: { '200': { description: 'ok', content: { 'application/json': { example: [{ id: 1 }] } } } } },
    },
  },
};

describeOnBackends('mock mode in the control plane', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backend);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    await h.reset();
  });

  async function importMocked() {
    const res = await h.call('POST', `${ENV}/apis/import`, { body: { document: pets, mock: true } });
    expect(res.statusCode, res.body).toBe(201);
    const plan = await h.call('POST', `${ENV}/apis/pets/plans`, {
      body: { id: 'open', security: { type: 'keyless' } },
    });
    expect(plan.statusCode, plan.body).toBe(201);
    expect((await h.call('PATCH', `${ENV}/apis/pets`, { body: { lifecycle: 'published' } })).statusCode).toBe(200);
    return res.json();
  }

  it('imports with mock on (no server needed), deploys it, and switches back to the upstream on re-import', async () => {
    const api = await importMocked();
    expect(api.upstream).toMatchObject({ targets: [{ url: 'http://backend.invalid' }], mock: {} });
    const deployed = await h.call('POST', `${ENV}/apis/pets/deployments`, { body: {} });
    expect(deployed.statusCode, deployed.body).toBe(201);
    const config = (await h.call('GET', `${ENV}/config`)).json();
    expect(config.apis[0].upstream.mock).toEqual({ enabled: true, operations: {}, preferHeader: true });
    expect(config.apis[0].openapi.paths['/pets']).toBeDefined();

    const off = await h.call('POST', `${ENV}/apis/import`, {
      body: { document: pets, mock: false, upstreamUrl: 'http://127.0.0.1:9101' },
    });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json().upstream).toMatchObject({
      targets: [{ url: 'http://127.0.0.1:9101' }],
      mock: { enabled: false },
    });
  });

  it('validates mock settings at write time and refuses choices the document cannot satisfy at deploy', async () => {
    await importMocked();
    const bad = await h.call('PATCH', `${ENV}/apis/pets`, {
      body: {
        upstream: { targets: [{ url: 'http://backend.invalid' }], mock: { operations: { 'get pets': {} } } },
      },
    });
    expect(bad.statusCode).toBe(400);
    // With the document in the same body, an impossible choice is a 400 at once, with its path.
    const withDocument = await h.call('PATCH', `${ENV}/apis/pets`, {
      body: {
        openapi: pets,
        upstream: {
          targets: [{ url: 'http://backend.invalid' }],
          mock: { operations: { 'GET /pets': { status: 500 } } },
        },
      },
    });
    expect(withDocument.statusCode).toBe(400);
    expect(withDocument.body).toContain('body.upstream.mock');
    expect(withDocument.body).toContain('GET /pets: declares no response 500');
    const impossible = await h.call('PATCH', `${ENV}/apis/pets`, {
      body: {
        upstream: {
          targets: [{ url: 'http://backend.invalid' }],
          mock: { operations: { 'GET /pets': { status: 404 } } },
        },
      },
    });
    expect(impossible.statusCode, impossible.body).toBe(200);
    const refused = await h.call('POST', `${ENV}/apis/pets/deployments`, { body: {} });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('GET /pets: declares no response 404');
  });
});
