/**
 * Attack class: NUL characters (`\u0000`) in JSON bodies, path parameters and query strings.
 * PostgreSQL refuses them in text and jsonb, so they used to surface as 500s (and the failed query
 * was logged with its parameters, passwords included). Every one is now a 400 problem+json naming
 * the field, before any SQL runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createHarness, type Harness } from '../../control-plane/src/test-support/harness.js';

const ENV = '/api/v1/environments/default';
const API = {
  id: 'orders',
  name: 'Orders',
  basePath: '/orders',
  upstream: { targets: [{ url: 'http://127.0.0.1:9' }] },
};

describe('control plane: NUL characters are refused with 400 and a field path', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backends()[0]!);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  async function expect400(method: string, url: string, path: string, body?: unknown, token?: string | null) {
    const res = await h.call(method, url, {
      ...(body !== undefined ? { body } : {}),
      ...(token !== undefined ? { token } : {}),
    });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json<{ code: string; errors: { path: string }[] }>();
    expect(problem.code).toBe('validation_failed');
    expect(problem.errors.map((e) => e.path)).toEqual([path]);
  }

  it('in a login e-mail (before any lookup)', async () => {
    await expect400(
      'POST',
      '/api/v1/auth/login',
      'body.email',
      { email: 'adm\u0000in@example.test', password: 'x' },
      null,
    );
  });

  it('in a top-level field and deep inside a policy config', async () => {
    await expect400('POST', `${ENV}/apis`, 'body.name', { ...API, name: 'Ord\u0000ers' });
    await expect400('POST', `${ENV}/apis`, 'body.policies[0].config.request.set.X-A', {
      ...API,
      policies: [{ policy: 'set-headers', config: { request: { set: { 'X-A': 'a\u0000b' } } } }],
    });
  });

  it('in a path parameter and a query string (the environment is looked up before validation)', async () => {
    await expect400('GET', `${ENV.replace('default', 'def%00ault')}/apis`, 'params.env');
    await expect400('GET', `${ENV}/apis?q=a%00b`, 'query.q');
  });

  it('still serves the same requests without the NUL', async () => {
    expect((await h.call('POST', `${ENV}/apis`, { body: API })).statusCode).toBe(201);
    expect((await h.call('GET', `${ENV}/apis?q=ord`)).json<{ items: unknown[] }>().items).toHaveLength(1);
  });
});
