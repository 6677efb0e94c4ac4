import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConsole } from './http/console-static.js';
import { registerErrorHandling } from './http/errors.js';

describe('console static assets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-console-dist-'));
  const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
  beforeAll(async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><html><head><title>x</title></head><body></body></html>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), `console.log(${JSON.stringify('x'.repeat(4000))});`);
    registerErrorHandling(app);
    registerConsole(app, `${dir}/`);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('redirects / and /console to /console/', async () => {
    for (const url of ['/', '/console']) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBeGreaterThanOrEqual(301);
      expect(res.headers.location).toBe('/console/');
    }
  });

  it('serves index.html uncached with a strict CSP and a fresh style nonce, for every client-side route', async () => {
    const nonces = new Set<string>();
    for (const url of ['/console/', '/console/e/default/apis/orders']) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-cache');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
      expect(res.body).toContain(`<meta name="csp-nonce" content="${nonce}" />`);
      nonces.add(nonce);
    }
    expect(nonces.size).toBe(2);
  });

  it('caches hashed assets for a year, gzipped when accepted, and 404s a missing one', async () => {
    const res = await app.inject({ url: '/console/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['content-type']).toMatch(/^text\/javascript/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    const missing = await app.inject({ url: '/console/assets/gone-000.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/problem\+json/);
  });
});
