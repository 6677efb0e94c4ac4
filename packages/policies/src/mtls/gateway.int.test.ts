import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import { join } from 'node:path';
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintIdentity } from './chain.js';
import { createTestPki, type TestPki } from './test-support/certs.js';

describe('mtls plans through the gateway', () => {
  let pki: TestPki;
  let upstream: TestUpstream;
  let gw: TestGateway;
  let port: number;

  beforeAll(async () => {
    pki = createTestPki();
    upstream = await startTestUpstream();
    gw = await startTestGateway(
      simpleDocument(
        upstream.url,
        { plans: [{ id: 'partners', security: { type: 'mtls', config: { ca: join(pki.dir, 'root.pem') } } }] },
        {
          applications: [
            {
              id: 'acme',
              name: 'Acme',
              certificates: [fingerprintIdentity(new X509Certificate(pki.clientA.cert))],
              subscriptions: [{ api: 'test', plan: 'partners' }],
            },
            { id: 'bee', name: 'Bee', certificates: ['subject:CN=client-b'], subscriptions: [] },
          ],
        },
      ),
      {
        tls: {
          certFile: join(pki.dir, 'server.pem'),
          keyFile: join(pki.dir, 'server.key'),
          requestClientCert: true,
          port: 0,
        },
      },
    );
    port = Number(new URL(gw.httpsUrl!).port);
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    pki?.cleanup();
  });

  function get(client: { key?: string; cert?: string }): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = https.get(
        { host: '127.0.0.1', port, path: '/test/orders', rejectUnauthorized: false, agent: false, ...client },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
    });
  }

  it('serves a client whose certificate chains to the plan CA and belongs to a subscribed application', async () => {
    const res = await get({ key: pki.clientA.key, cert: pki.clientA.chain });
    expect(res.status).toBe(200);
    expect(gw.records.at(-1)).toMatchObject({ plan: 'partners' });
    expect(upstream.requests).toHaveLength(1);
  });

  it('answers 401 for an untrusted certificate and for none, 403 for a trusted one without subscription', async () => {
    const untrusted = await get(pki.untrusted);
    expect([untrusted.status, JSON.parse(untrusted.body).detail]).toEqual([401, 'client certificate is not trusted']);
    expect((await get({})).status).toBe(401);
    const unsubscribed = await get(pki.clientB);
    expect([unsubscribed.status, JSON.parse(unsubscribed.body).code]).toEqual([403, 'forbidden']);
    expect(upstream.requests).toHaveLength(1);
  });
});
