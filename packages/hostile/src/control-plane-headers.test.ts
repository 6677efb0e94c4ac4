/**
 * Attack class: answers a browser or a shared cache may misuse. Every control-plane answer carries
 * `X-Content-Type-Options: nosniff`; answers to authenticated requests carry `Cache-Control:
 * no-store` (tokens, keys and definitions must not stay in caches); the API reference page has a
 * Content-Security-Policy and cannot be framed (clickjacking).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createHarness, type Harness } from '../../control-plane/src/test-support/harness.js';

describe('control plane: security headers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backends()[0]!);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('nosniff on every answer: success, problem, unknown route, login', async () => {
    const answers = [
      await h.call('GET', '/api/v1/users/me'),
      await h.call('GET', '/api/v1/users/me', { token: null }),
      await h.call('GET', '/api/v1/nothing-here'),
      await h.call('POST', '/api/v1/auth/login', { token: null, body: { email: 'a@b.cd', password: 'x' } }),
      await h.call('GET', '/api/v1/docs/json', { token: null }),
    ];
    for (const res of answers) expect(res.headers['x-content-type-options'], `${res.statusCode}`).toBe('nosniff');
  });

  it('no-store on every authenticated answer', async () => {
    for (const url of ['/api/v1/users/me', '/api/v1/environments/default/apis', '/api/v1/environments']) {
      const res = await h.call('GET', url);
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
    const pat = await h.call('POST', '/api/v1/users/me/tokens', { body: { name: 'ci' } });
    expect(pat.headers['cache-control']).toBe('no-store');
  });

  it('the docs page has a CSP and refuses framing', async () => {
    const res = await h.call('GET', '/api/v1/docs/', { token: null });
    expect(res.statusCode).toBe(200);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
  });
});
