import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import argon2 from 'argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('basic-auth through the gateway', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    const passwordHash = await argon2.hash('open sesame', { type: argon2.argon2id, memoryCost: 8192, timeCost: 2 });
    upstream = await startTestUpstream();
    gw = await startTestGateway(
      simpleDocument(upstream.url, {
        policies: [
          { policy: 'basic-auth', config: { realm: 'reports', credentials: [{ username: 'auditor', passwordHash }] } },
        ],
      }),
    );
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('challenges a request without credentials with 401 and WWW-Authenticate: Basic', async () => {
    const res = await gw.fetch('/test/report');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="reports", charset="UTF-8"');
    expect(((await res.json()) as { code: string }).code).toBe('unauthorized');
    expect((await gw.fetch('/test/report', { headers: { authorization: basic('auditor', 'wrong') } })).status).toBe(
      401,
    );
    expect(upstream.requests).toHaveLength(0);
  });

  it('forwards an authenticated request without the password', async () => {
    const res = await gw.fetch('/test/report', { headers: { authorization: basic('auditor', 'open sesame') } });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { headers: Record<string, string> };
    expect(echoed.headers.authorization).toBeUndefined();
  });

  it('refuses a plaintext password when the config is applied', () => {
    const result = gw.apply(
      simpleDocument(upstream.url, {
        policies: [{ policy: 'basic-auth', config: { credentials: [{ username: 'a', passwordHash: 'hunter2' }] } }],
      }),
    );
    expect(result.ok).toBe(false);
    expect(result.problems[0]!.path).toBe('apis[0].policies[0].config.credentials[0].passwordHash');
    expect(JSON.stringify(result.problems)).not.toContain('hunter2');
  });
});
