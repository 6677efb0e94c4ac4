// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { describe, expect, it } from 'vitest';
import { createTestContext, type TestContextInit } from '../testing/context.js';
import { captureLogger, createPolicy } from '../testing/index.js';
import { logPolicy } from './index.js';

function run(config: Record<string, unknown>, init: TestContextInit) {
  const { logger, lines } = captureLogger();
  const ctx = createTestContext(init);
  Object.assign(ctx, { log: logger });
  createPolicy(logPolicy, config).log!(ctx);
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('log', () => {
  it('writes one line with rendered fields, response data and message at the configured level', () => {
    const line = run(
      {
        level: 'warn',
        message: '${request.method} ${request.path} -> ${response.status}',
        fields: {
          app: 'context.application',
          status: 'response.status',
          tenant: 'request.headers["x-tenant"]',
          contentType: 'response.headers["content-type"]',
          slow: 'durationMs > 10000.0',
          'user.id': 'claims.sub',
        },
      },
      {
        method: 'POST',
        path: '/orders',
        headers: { 'x-tenant': 'acme' },
        application: { id: 'shop', name: 'Shop' },
        claims: { sub: 'u-42' },
        response: { status: 201, headers: { 'content-type': 'application/json' } },
      },
    );
    expect(line).toMatchObject({
      level: 40,
      msg: 'POST /orders -> 201',
      policy: 'log',
      requestId: 'test-request-id',
      app: 'shop',
      status: 201,
      tenant: 'acme',
      contentType: 'application/json',
      slow: false,
      'user.id': 'u-42',
    });
  });

  it('masks credentials in rendered header maps and wherever their values reappear', () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.secret-payload';
    const line = run(
      {
        message: 'auth was ${request.headers["authorization"]} key ${request.query.api_key}',
        fields: {
          headers: 'request.headers',
          query: 'request.query',
          copied: '"token=" + request.headers["authorization"].substring(7)',
          key: 'request.headers["x-api-key"]',
          session: 'request.headers["cookie"]',
        },
      },
      {
        headers: {
          authorization: `Bearer ${token}`,
          'x-api-key': 'gh_live_abcdef123456',
          cookie: 'sid=s3ss10n-value; theme=dark',
          'x-other': 'kept',
        },
        query: 'api_key=query-secret-123&page=2',
      },
    );
    const text = JSON.stringify(line);
    for (const secret of [token, 'gh_live_abcdef123456', 's3ss10n-value', 'query-secret-123'])
      expect(text).not.toContain(secret);
    expect(line.headers).toMatchObject({
      authorization: '[redacted]',
      'x-api-key': '[redacted]',
      cookie: '[redacted]',
      'x-other': 'kept',
    });
    expect(line.query).toEqual({ api_key: '[redacted]', page: '2' });
    expect(line.copied).toBe('token=[redacted]');
    expect(line.key).toBe('[redacted]');
    expect(line.msg).toBe('auth was [redacted] key [redacted]');
  });

  it('keeps logging when a field fails, marking it null', () => {
    const line = run({ fields: { missing: 'request.headers["nope"]', ok: '1 + 1' } }, {});
    expect(line).toMatchObject({
      missing: null,
      ok: 2,
      failedFields: ['missing'],
      msg: 'request completed',
      level: 30,
    });
  });

  it('rejects reserved field names and bad CEL at load time', () => {
    expect(() => createPolicy(logPolicy, { fields: { msg: '"x"' } })).toThrow(/fields\.msg: "msg" is reserved/);
    expect(() => createPolicy(logPolicy, { fields: { a: '1 +' } })).toThrow(/fields\.a: invalid CEL/);
    expect(() => createPolicy(logPolicy, { message: '${' })).not.toThrow();
    expect(() => createPolicy(logPolicy, { message: '${ 1 + }' })).toThrow(/message: invalid CEL/);
  });
});

describe('log example', () => {
  it('accepts its documented example', async () => {
    expect(logPolicy.example.policy).toBe('log');
    const handlers = createPolicy(logPolicy, logPolicy.example.config);
    expect(Object.keys(handlers).length).toBeGreaterThan(0);
    await handlers.close?.();
  });
});
