/**
 * Attack class: credentials in clear on the network. With `--tls-cert/--tls-key` the control plane
 * listens on HTTPS only: logins, bearer tokens and gateway tokens travel encrypted, and a client
 * speaking plain HTTP to that port gets no HTTP answer (it never learns anything, nor is its
 * Authorization header processed).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ControlPlane, startControlPlane } from '@gatehouse/control-plane';
import { silentLogger } from '@gatehouse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from './raw.js';
import { selfSigned } from './self-signed.js';

const ADMIN = { email: 'admin@example.test', password: 'correct-horse-battery-staple' };

function httpsJson(
  url: string,
  ca: string,
  options: { method?: string; token?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = https.request(
      url,
      {
        method: options.method ?? 'GET',
        ...(ca ? { ca } : {}),
        headers: {
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('control plane over TLS', () => {
  let cp: ControlPlane;
  let ca: string;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gh-cp-tls-'));
    const tls = selfSigned();
    ca = readFileSync(tls.certFile, 'utf8');
    cp = await startControlPlane({
      port: 0,
      dataDir: path.join(dir, 'data'),
      adminEmail: ADMIN.email,
      adminPassword: ADMIN.password,
      secretKey: { key: randomBytes(32).toString('base64') },
      tls,
      logger: silentLogger(),
    });
  }, 120_000);
  afterAll(async () => {
    await cp?.close();
  });

  it('serves the management and gateway APIs over HTTPS', async () => {
    expect(cp.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const login = await httpsJson(`${cp.url}/api/v1/auth/login`, ca, { method: 'POST', body: ADMIN });
    expect(login.status).toBe(200);
    const token = String(login.body.token);
    const gateway = await httpsJson(`${cp.url}/api/v1/environments/default/gateways`, ca, {
      method: 'POST',
      token,
      body: { name: 'edge' },
    });
    expect(gateway.status).toBe(201);
    const key = await httpsJson(`${cp.url}/api/v1/gateway/signing-key`, ca, { token: String(gateway.body.token) });
    expect(key.status).toBe(200);
    expect(key.body.alg).toBe('Ed25519');
  });

  it('gives a plain-HTTP client no HTTP answer', async () => {
    const answer = await rawRequest(
      cp.port,
      'GET /api/v1/users/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ghs_x\r\nConnection: close\r\n\r\n',
    );
    expect(answer.text.startsWith('HTTP/1.1 200')).toBe(false);
    expect(answer.text).not.toContain('"email"');
  });

  it('refuses a client that does not trust the certificate (no silent downgrade)', async () => {
    await expect(httpsJson(`${cp.url}/api/v1/auth/login`, '', { method: 'POST', body: ADMIN })).rejects.toThrow();
  });
});
