import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backends, createHarness, type Harness } from './test-support/harness.js';

const ENV = '/api/v1/environments/default';
const v1 = {
  openapi: '3.0.3',
  info: { title: 'Pet Store', version: '1.0.0' },
  servers: [{ url: 'https://pets.example.com/v1' }],
  paths: { '/pets': { get: {}, post: {} }, '/pets/{petId}': { get: {}, delete: {} } },
};
// No server: a re-import keeps the API's upstream.
const v2 = {
  openapi: '3.0.3',
  info: { title: 'Pet Store', version: '2.0.0' },
  paths: { '/pets': { get: {} }, '/owners': { get: {} } },
};

for (const backend of backends()) {
  describe.skipIf(backend.skipReason !== undefined)(
    `OpenAPI import and re-import on ${backend.name}${backend.skipReason ? ` (${backend.skipReason})` : ''}`,
    () => {
      let h: Harness;
      beforeAll(async () => {
        h = await createHarness(backend);
      });
      afterAll(async () => {
        await h?.close();
      });
      beforeEach(async () => {
        await h.reset();
      });
      const importDoc = (document: unknown, extra: Record<string, unknown> = {}) =>
        h.call('POST', `${ENV}/apis/import`, { body: { document, ...extra } });

      it('re-importing a newer version updates the API and lists the route changes', async () => {
        expect((await importDoc(v1)).statusCode).toBe(201);
        // The publisher names a route and moves the API: a re-import keeps both.
        const edit = await h.call('PATCH', `${ENV}/apis/pet-store`, {
          body: {
            basePath: '/pets-api',
            routes: [
              { id: 'list-pets', path: '/pets', methods: ['GET', 'POST'] },
              { path: '/pets/:petId', methods: ['GET', 'DELETE'] },
            ],
          },
        });
        expect(edit.statusCode, edit.body).toBe(200);
        const again = await importDoc(v2);
        expect(again.statusCode, again.body).toBe(200);
        expect(again.json()).toMatchObject({
          id: 'pet-store',
          version: '2.0.0',
          basePath: '/pets-api',
          upstream: { targets: [{ url: 'https://pets.example.com/v1' }] },
          routes: [
            { id: 'list-pets', path: '/pets', methods: ['GET'] },
            { path: '/owners', methods: ['GET'] },
          ],
          changes: {
            routes: {
              added: ['/owners'],
              removed: ['/pets/:petId'],
              changed: [{ path: '/pets', methodsAdded: [], methodsRemoved: ['POST'] }],
            },
            plansAdded: [],
          },
        });
        expect((await h.call('GET', `${ENV}/apis/pet-store`)).json().openapi.info.version).toBe('2.0.0');
      });

      it('resolves server URL variables with their defaults', async () => {
        const res = await importDoc({
          ...v1,
          servers: [
            {
              url: 'https://{region}.pets.example.com/{stage}',
              variables: { region: { default: 'eu', enum: ['eu', 'us'] }, stage: { default: 'v2' } },
            },
          ],
        });
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json().upstream.targets[0].url).toBe('https://eu.pets.example.com/v2');
      });

      it('turns security schemes into plans (API keys published, token schemes staged)', async () => {
        const res = await importDoc({
          ...v1,
          components: {
            securitySchemes: {
              ApiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-Pet-Key' },
              QueryKey: { type: 'apiKey', in: 'query', name: 'key' },
              Bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
              Corporate: { type: 'oauth2', flows: {} },
              Basic: { type: 'http', scheme: 'basic' },
            },
          },
        });
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json().changes.plansAdded).toEqual(['apikeyauth', 'querykey', 'bearer', 'corporate']);
        const items = (await h.call('GET', `${ENV}/apis/pet-store/plans`)).json().items;
        const byId = Object.fromEntries(items.map((p: { id: string }) => [p.id, p]));
        expect(byId.apikeyauth).toMatchObject({
          status: 'published',
          security: { type: 'api-key', config: { header: 'X-Pet-Key' } },
        });
        expect(byId.querykey).toMatchObject({
          status: 'published',
          security: { type: 'api-key', config: { query: 'key' } },
        });
        expect(byId.bearer).toMatchObject({ status: 'staging', security: { type: 'jwt' } });
        expect(byId.corporate).toMatchObject({ status: 'staging', security: { type: 'oauth2' } });
        // The published key plans are servable as they stand.
        expect((await h.call('PATCH', `${ENV}/apis/pet-store`, { body: { lifecycle: 'published' } })).statusCode).toBe(
          200,
        );
        const deployed = await h.call('POST', `${ENV}/apis/pet-store/deployments`, { body: {} });
        expect(deployed.statusCode, deployed.body).toBe(201);
        // Re-importing does not duplicate them.
        expect(
          (await importDoc({ ...v2, components: res.json().openapi.components })).json().changes.plansAdded,
        ).toEqual([]);
      });

      it('re-derives routes from the stored document only when asked', async () => {
        expect((await importDoc(v1)).statusCode).toBe(201);
        const plain = await h.call('PATCH', `${ENV}/apis/pet-store`, { body: { openapi: v2 } });
        expect(plain.json().routes.map((r: { path: string }) => r.path)).toEqual(['/pets', '/pets/:petId']);
        const derived = await h.call('PATCH', `${ENV}/apis/pet-store?deriveRoutes=true`, { body: {} });
        expect(derived.statusCode, derived.body).toBe(200);
        expect(derived.json().routes).toMatchObject([
          { path: '/pets', methods: ['GET'] },
          { path: '/owners', methods: ['GET'] },
        ]);
        const both = await h.call('PATCH', `${ENV}/apis/pet-store?deriveRoutes=true`, { body: { routes: null } });
        expect(both.statusCode).toBe(400);
      });
    },
  );
}
