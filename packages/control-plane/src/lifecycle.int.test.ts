import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backends, createHarness, type Harness } from './test-support/harness.js';

const ENV = '/api/v1/environments/default';
const API = {
  id: 'orders',
  name: 'Orders',
  basePath: '/orders',
  upstream: { targets: [{ url: 'http://127.0.0.1:9101' }] },
};

for (const backend of backends()) {
  describe.skipIf(backend.skipReason !== undefined)(
    `API lifecycle on ${backend.name}${backend.skipReason ? ` (${backend.skipReason})` : ''}`,
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

      async function createApi(extra: Record<string, unknown> = {}) {
        const res = await h.call('POST', `${ENV}/apis`, { body: { ...API, ...extra } });
        expect(res.statusCode, res.body).toBe(201);
        const plan = await h.call('POST', `${ENV}/apis/${res.json().id}/plans`, {
          body: { id: 'gold', security: { type: 'api-key' } },
        });
        expect(plan.statusCode, plan.body).toBe(201);
      }
      const deploy = (id = 'orders') => h.call('POST', `${ENV}/apis/${id}/deployments`, { body: {} });
      const lifecycle = (value: string, id = 'orders') =>
        h.call('PATCH', `${ENV}/apis/${id}`, { body: { lifecycle: value } });
      const servedApis = async () =>
        (await h.call('GET', `${ENV}/config`)).json<{ apis: { id: string }[] }>().apis.map((a) => a.id);
      async function subscribe(token?: string) {
        const app = await h.call('POST', `${ENV}/applications`, { token, body: { name: `App ${Math.random()}` } });
        expect(app.statusCode, app.body).toBe(201);
        return h.call('POST', `${ENV}/applications/${app.json().id}/subscriptions`, {
          token,
          body: { apiId: 'orders', planId: 'gold' },
        });
      }

      it('refuses to deploy a draft (409 not_deployable), then deploys once published', async () => {
        await createApi();
        const refused = await deploy();
        expect(refused.statusCode, refused.body).toBe(409);
        expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(refused.json()).toMatchObject({ code: 'not_deployable' });
        expect(refused.json().detail).toMatch(/publish/i);
        expect(await servedApis()).toEqual([]);
        expect((await lifecycle('published')).statusCode).toBe(200);
        expect((await deploy()).statusCode).toBe(201);
        expect(await servedApis()).toEqual(['orders']);
      });

      it('allows forward moves and deprecated -> published only', async () => {
        await createApi();
        expect((await lifecycle('published')).statusCode).toBe(200);
        const back = await lifecycle('draft');
        expect(back.statusCode, back.body).toBe(409);
        expect(back.json()).toMatchObject({ code: 'conflict', errors: [{ path: 'body.lifecycle' }] });
        expect((await lifecycle('deprecated')).statusCode).toBe(200);
        expect((await lifecycle('published')).statusCode).toBe(200);
        expect((await lifecycle('retired')).statusCode).toBe(200);
        for (const to of ['published', 'deprecated', 'draft']) expect((await lifecycle(to)).statusCode).toBe(409);
        // A PATCH that leaves the lifecycle alone is not a transition.
        expect((await h.call('PATCH', `${ENV}/apis/orders`, { body: { name: 'Old orders' } })).statusCode).toBe(200);
        expect((await h.call('GET', `${ENV}/apis/orders`)).json().lifecycle).toBe('retired');
      });

      it('deprecated: keeps serving existing subscriptions, refuses new ones, shown as deprecated', async () => {
        await createApi({ lifecycle: 'published', visibility: 'public' });
        expect((await deploy()).statusCode).toBe(201);
        const existing = await subscribe();
        expect(existing.statusCode, existing.body).toBe(201);
        expect((await lifecycle('deprecated')).statusCode).toBe(200);
        expect((await deploy()).statusCode).toBe(201);
        const config = (await h.call('GET', `${ENV}/config`)).json();
        expect(config.apis.map((a: { id: string }) => a.id)).toEqual(['orders']);
        expect(config.applications.flatMap((a: { subscriptions: { id: string }[] }) => a.subscriptions)).toEqual([
          expect.objectContaining({ id: existing.json().id, status: 'accepted' }),
        ]);
        const refused = await subscribe();
        expect(refused.statusCode, refused.body).toBe(400);
        expect(refused.json().errors).toEqual([{ path: 'body.apiId', message: expect.stringMatching(/deprecated/) }]);
        const consumer = await h.createUser('carol@example.test', 'consumer');
        const catalog = (await h.call('GET', `${ENV}/apis`, { token: consumer.token })).json().items;
        expect(catalog).toEqual([expect.objectContaining({ id: 'orders', lifecycle: 'deprecated' })]);
      });

      it('drafts are in no catalog and take no subscriptions', async () => {
        await createApi({ visibility: 'public' });
        const consumer = await h.createUser('dan@example.test', 'consumer');
        expect((await h.call('GET', `${ENV}/apis`, { token: consumer.token })).json().items).toEqual([]);
        const refused = await subscribe();
        expect(refused.statusCode, refused.body).toBe(400);
        expect(refused.json().detail).toMatch(/draft/);
      });

      it('private: never in the consumer catalog; only publishers and admins subscribe', async () => {
        await createApi({ lifecycle: 'published', visibility: 'private' });
        expect((await deploy()).statusCode).toBe(201);
        const consumer = await h.createUser('erin@example.test', 'consumer');
        expect((await h.call('GET', `${ENV}/apis`, { token: consumer.token })).json().items).toEqual([]);
        expect((await subscribe(consumer.token)).statusCode).toBe(400);
        const publisher = await h.createUser('pat@example.test', 'publisher');
        expect((await subscribe(publisher.token)).statusCode).toBe(201);
        expect((await subscribe()).statusCode).toBe(201);
      });

      it('retired: removed from gateways at the next deploy, which closes its subscriptions', async () => {
        await createApi({ lifecycle: 'published', visibility: 'public' });
        expect((await deploy()).statusCode).toBe(201);
        const existing = await subscribe();
        expect(existing.statusCode, existing.body).toBe(201);
        expect((await lifecycle('retired')).statusCode).toBe(200);
        expect(await servedApis()).toEqual(['orders']);
        expect((await h.call('GET', `${ENV}/subscriptions/${existing.json().id}`)).json().status).toBe('accepted');
        expect((await deploy()).statusCode).toBe(201);
        expect(await servedApis()).toEqual([]);
        expect((await subscribe()).statusCode).toBe(400);
        // That deploy closed its subscriptions, so the API can be deleted.
        expect((await h.call('GET', `${ENV}/subscriptions/${existing.json().id}`)).json()).toMatchObject({
          status: 'closed',
          reason: 'The API was retired.',
        });
        expect((await h.call('DELETE', `${ENV}/apis/orders`)).statusCode).toBe(204);
      });

      it('rollback restores the editable definition, so the next deploy keeps it (audited)', async () => {
        await createApi({ lifecycle: 'published' });
        expect((await deploy()).statusCode).toBe(201);
        expect((await h.call('PATCH', `${ENV}/apis/orders`, { body: { basePath: '/orders/v2' } })).statusCode).toBe(
          200,
        );
        const plan = await h.call('PATCH', `${ENV}/apis/orders/plans/gold`, { body: { name: 'Gold v2' } });
        expect(plan.statusCode, plan.body).toBe(200);
        expect((await deploy()).json().revision).toBe(2);
        const rollback = await h.call('POST', `${ENV}/apis/orders/deployments`, { body: { revision: 1 } });
        expect(rollback.json()).toMatchObject({ revision: 3, rollbackOf: 1 });
        expect((await h.call('GET', `${ENV}/apis/orders`)).json().basePath).toBe('/orders');
        expect((await h.call('GET', `${ENV}/apis/orders/plans/gold`)).json().name).toBe('gold');
        // No edit since the rollback: deploying again ships revision 1's definition, not v2.
        expect((await deploy()).json().revision).toBe(4);
        const served = (await h.call('GET', `${ENV}/config`)).json().apis[0];
        expect(served).toMatchObject({ basePath: '/orders', revision: 4, plans: [{ id: 'gold', name: 'gold' }] });
        const audit = (await h.call('GET', `${ENV}/audit?action=api.restore`)).json().items;
        expect(audit).toHaveLength(1);
        expect(audit[0]).toMatchObject({
          entityId: 'orders',
          diff: { basePath: { from: '/orders/v2', to: '/orders' }, rollbackOf: { to: 1 } },
        });
      });

      it('rollback keeps the current lifecycle: a retired API stays off gateways', async () => {
        await createApi({ lifecycle: 'published' });
        expect((await deploy()).statusCode).toBe(201);
        expect((await lifecycle('retired')).statusCode).toBe(200);
        expect((await deploy()).statusCode).toBe(201);
        const rollback = await h.call('POST', `${ENV}/apis/orders/deployments`, { body: { revision: 1 } });
        expect(rollback.statusCode, rollback.body).toBe(201);
        expect(await servedApis()).toEqual([]);
        expect((await h.call('GET', `${ENV}/apis/orders`)).json().lifecycle).toBe('retired');
      });
    },
  );
}
