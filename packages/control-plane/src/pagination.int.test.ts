/**
 * Every list pages with the shared keyset helper: complete, no duplicates, stable when rows are
 * inserted between pages, and 400 on a cursor it did not issue. On PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHarness, describeOnBackends, type Harness } from './test-support/harness.js';

const ENV = '/api/v1/environments/default';

describeOnBackends('list pagination', (backend) => {
  let h: Harness;
  const lists: Record<string, string> = {};
  beforeAll(async () => {
    h = await createHarness(backend);
    const ok = async (method: string, url: string, body: unknown = {}) => {
      const answer = await h.call(method, url, { body });
      expect(answer.statusCode, answer.body).toBeLessThan(300);
      return answer.json<{ id: string }>();
    };
    await ok('POST', `${ENV}/apis`, {
      id: 'orders',
      name: 'Orders',
      basePath: '/orders',
      upstream: { targets: [{ url: 'http://127.0.0.1:9101' }] },
      lifecycle: 'published',
    });
    for (const id of ['a', 'b', 'c'])
      await ok('POST', `${ENV}/apis/orders/plans`, { id, security: { type: 'api-key' } });
    for (let i = 0; i < 3; i++) await ok('POST', `${ENV}/apis/orders/deployments`, { message: `d${i}` });
    const app = await ok('POST', `${ENV}/applications`, { name: 'Mobile' });
    const sub = await ok('POST', `${ENV}/applications/${app.id}/subscriptions`, { apiId: 'orders', planId: 'a' });
    for (let i = 0; i < 3; i++) await ok('POST', `${ENV}/subscriptions/${sub.id}/api-keys`);
    for (const email of ['m1@example.test', 'm2@example.test']) await h.createUser(email, 'viewer');
    for (let i = 0; i < 3; i++) await ok('POST', '/api/v1/users/me/tokens', { name: `pat ${i}` });
    lists.plans = `${ENV}/apis/orders/plans`;
    lists.deployments = `${ENV}/apis/orders/deployments`;
    lists.keys = `${ENV}/subscriptions/${sub.id}/api-keys`;
    lists.members = `${ENV}/members`;
    lists.tokens = '/api/v1/users/me/tokens';
  }, 180_000);
  afterAll(async () => {
    await h?.close();
  });

  async function walk(url: string): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 20; guard++) {
      const query: string = cursor ? `?limit=1&cursor=${encodeURIComponent(cursor)}` : '?limit=1';
      const answer = await h.call('GET', url + query);
      expect(answer.statusCode, answer.body).toBe(200);
      const page = answer.json<{ items: Array<Record<string, unknown>>; nextCursor: string | null }>();
      seen.push(...page.items.map((item) => String(item.id ?? item.userId ?? item.revision)));
      cursor = page.nextCursor;
      if (!cursor) return seen;
    }
    throw new Error(`${url} never ended`);
  }

  it('walks every list one item per page, each item once', async () => {
    const expected = { plans: 3, deployments: 3, keys: 3, members: 2, tokens: 3 };
    for (const [name, count] of Object.entries(expected)) {
      const seen = await walk(lists[name]!);
      expect(new Set(seen).size, name).toBe(seen.length);
      expect(seen.length, name).toBeGreaterThanOrEqual(count);
    }
  });

  it('stays stable when a row is inserted between pages (no duplicate, no skip of older rows)', async () => {
    const first = await h.call('GET', `${lists.keys}?limit=1`);
    const page1 = first.json<{ items: Array<{ id: string }>; nextCursor: string }>();
    await h.call('POST', lists.keys!, { body: {} });
    const rest: string[] = [];
    let cursor: string | null = page1.nextCursor;
    while (cursor) {
      const next = await h.call('GET', `${lists.keys}?limit=1&cursor=${encodeURIComponent(cursor)}`);
      const page = next.json<{ items: Array<{ id: string }>; nextCursor: string | null }>();
      rest.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    }
    expect(rest).not.toContain(page1.items[0]!.id);
    // Newest first: the key inserted after page 1 is newer than the cursor and is not in the rest.
    expect(new Set(rest).size).toBe(rest.length);
    expect(rest.length).toBeGreaterThanOrEqual(2);
  });

  it('answers 400 problem+json on a cursor it did not issue, on every list', async () => {
    for (const [name, url] of Object.entries(lists)) {
      for (const cursor of ['bm90LWEtY3Vyc29y', 'MTA', '!!!']) {
        const answer = await h.call('GET', `${url}?cursor=${cursor}`);
        expect(answer.statusCode, `${name} ${cursor}: ${answer.body}`).toBe(400);
        expect(answer.headers['content-type']).toContain('application/problem+json');
      }
    }
  });
});
