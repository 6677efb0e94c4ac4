import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { createAtPath, validatePolicyConfig } from '../sdk/define.js';
import { createTestContext, type TestContextInit } from '../testing/context.js';
import { testPolicyEnv } from '../testing/index.js';
import { appendVary, corsPolicy } from './index.js';
import { compileOrigins } from './origins.js';

function policy(rawConfig: unknown = {}) {
  return createAtPath('config', () =>
    corsPolicy.create(validatePolicyConfig(corsPolicy, rawConfig, 'config'), testPolicyEnv()),
  );
}

/** preSecurity, then (unless refused) the response phase, as the gateway runs them. */
async function exchange(rawConfig: unknown, init: TestContextInit) {
  const handlers = policy(rawConfig);
  const ctx = createTestContext(init);
  let error: GatewayError | undefined;
  try {
    await handlers.preSecurity?.(ctx);
  } catch (e) {
    if (!(e instanceof GatewayError)) throw e;
    error = e;
  }
  await handlers.response?.(ctx);
  return { ctx, error };
}

const preflight = (origin: string, method = 'PUT', requestHeaders?: string): TestContextInit => ({
  method: 'OPTIONS',
  headers: {
    origin,
    'access-control-request-method': method,
    ...(requestHeaders ? { 'access-control-request-headers': requestHeaders } : {}),
  },
});

const config = {
  origins: ['https://app.example.com', 'https://*.example.org'],
  credentials: true,
  exposeHeaders: ['x-request-id'],
  maxAge: '1h',
};

describe('cors preflight', () => {
  it('answers an allowed preflight with 204 at the gateway', async () => {
    const { ctx, error } = await exchange(config, preflight('https://app.example.com', 'PUT', 'Content-Type, X-Trace'));
    expect(error).toBeUndefined();
    expect(ctx.shortCircuit?.status).toBe(204);
    expect(ctx.response.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
      'access-control-allow-headers': 'content-type, x-trace',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '3600',
    });
    expect(String(ctx.response.headers.vary)).toContain('Origin');
  });

  it('refuses a preflight from an origin, method or header that is not allowed (403, no CORS headers)', async () => {
    const badOrigin = await exchange(config, preflight('https://evil.example.net'));
    expect(badOrigin.error?.code).toBe('forbidden');
    expect(badOrigin.error?.status).toBe(403);
    expect(badOrigin.ctx.responded).toBe(false);
    expect(badOrigin.ctx.response.headers['access-control-allow-origin']).toBeUndefined();

    expect(
      (await exchange({ ...config, methods: ['GET'] }, preflight('https://app.example.com', 'DELETE'))).error?.code,
    ).toBe('forbidden');
    const headerRefused = await exchange(
      { ...config, allowHeaders: ['Content-Type'] },
      preflight('https://app.example.com', 'PUT', 'content-type, x-secret'),
    );
    expect(headerRefused.error?.detail).toMatch(/x-secret/);
    const headerAllowed = await exchange(
      { ...config, allowHeaders: ['Content-Type'] },
      preflight('https://app.example.com', 'PUT', 'Content-Type'),
    );
    expect(headerAllowed.ctx.response.headers['access-control-allow-headers']).toBe('Content-Type');
  });

  it('lets plain OPTIONS requests (no preflight headers) through to the upstream', async () => {
    const { ctx } = await exchange(config, { method: 'OPTIONS', headers: { origin: 'https://app.example.com' } });
    expect(ctx.responded).toBe(false);
  });
});

describe('cors actual requests', () => {
  it('adds Access-Control-Allow-Origin, credentials, expose headers and Vary: Origin for an allowed origin', async () => {
    const { ctx } = await exchange(config, {
      headers: { origin: 'https://eu.shop.example.org' },
      response: { headers: { vary: 'Accept-Encoding' } },
    });
    expect(ctx.response.headers).toMatchObject({
      'access-control-allow-origin': 'https://eu.shop.example.org',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-request-id',
      vary: 'Accept-Encoding, Origin',
    });
  });

  it('sends no CORS headers (and drops upstream ones) for an origin that is not allowed', async () => {
    const { ctx } = await exchange(config, {
      headers: { origin: 'https://example.org' },
      response: { headers: { 'access-control-allow-origin': '*' } },
    });
    // Unset headers (value undefined) are not sent.
    const sent = Object.entries(ctx.response.headers).filter(([, value]) => value !== undefined);
    expect(sent.map(([name]) => name).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('answers * for any origin, and never with credentials (the contract refuses * with credentials)', async () => {
    const open = await exchange({}, { headers: { origin: 'https://anyone.test' } });
    expect(open.ctx.response.headers['access-control-allow-origin']).toBe('*');
    expect(open.ctx.response.headers.vary).toBeUndefined();
    expect(() => policy({ origins: ['*'], credentials: true })).toThrow(/credentials need listed origins/);
  });

  it('leaves same-origin requests (no Origin header) alone but for Vary: Origin', async () => {
    const { ctx } = await exchange(config, { response: { headers: { 'x-a': '1' } } });
    expect(ctx.response.headers).toEqual({ 'x-a': '1', vary: 'Origin' });
  });
});

describe('origin matching', () => {
  it('matches wildcards as one or more host labels, never the bare domain or another suffix', () => {
    const m = compileOrigins(['https://*.example.com', 'http://localhost:3000']);
    expect(m.allows('https://a.example.com')).toBe(true);
    expect(m.allows('https://A.B.Example.com')).toBe(true);
    expect(m.allows('https://example.com')).toBe(false);
    expect(m.allows('https://evil-example.com')).toBe(false);
    expect(m.allows('https://a.example.com.evil.net')).toBe(false);
    expect(m.allows('http://a.example.com')).toBe(false);
    expect(m.allows('https://a.example.com:8443')).toBe(false);
    expect(m.allows('http://localhost:3000')).toBe(true);
    expect(m.allows('http://localhost:3001')).toBe(false);
    expect(m.allows('null')).toBe(false);
  });

  it('rejects entries that are not origins', () => {
    expect(() => policy({ origins: ['https://app.example.com/path'] })).toThrow(/not an origin/);
    expect(() => policy({ origins: ['app.example.com'] })).toThrow(/not an origin/);
  });

  it('appends to Vary without duplicates', () => {
    const headers: Record<string, string> = { vary: 'origin' };
    appendVary(headers, 'Origin');
    expect(headers.vary).toBe('origin');
    const star: Record<string, string> = { vary: '*' };
    appendVary(star, 'Origin');
    expect(star.vary).toBe('*');
  });
});
