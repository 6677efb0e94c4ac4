import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from './testing/harness.js';

/** A throwaway self-signed certificate for 127.0.0.1 / localhost. */
function selfSigned(): { certFile: string; keyFile: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

describe('TLS listener', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  let httpsPort: number;

  beforeAll(async () => {
    upstream = await startTestUpstream();
    gw = await startTestGateway(simpleDocument(upstream.url), { tls: { ...selfSigned(), port: 0 } });
    httpsPort = Number(new URL(gw.httpsUrl!).port);
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('speaks HTTP/2 over ALPN h2 and proxies to an HTTP/1.1 upstream', async () => {
    const client = http2.connect(`https://127.0.0.1:${httpsPort}`, { rejectUnauthorized: false });
    try {
      const { status, body, protocol } = await new Promise<{
        status: number;
        body: string;
        protocol: string | undefined;
      }>((resolve, reject) => {
        const req = client.request({ ':path': '/test/h2?x=1', ':method': 'GET' });
        let status = 0;
        let body = '';
        req.on('response', (headers) => {
          status = Number(headers[':status']);
        });
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => {
          body += chunk;
        });
        req.on('end', () => resolve({ status, body, protocol: client.alpnProtocol }));
        req.on('error', reject);
        req.end();
      });
      expect(protocol).toBe('h2');
      expect(status).toBe(200);
      const echoed = JSON.parse(body) as { url: string; headers: Record<string, string> };
      expect(echoed.url).toBe('/h2?x=1');
      expect(echoed.headers['x-forwarded-proto']).toBe('https');
      expect(Object.keys(echoed.headers).some((h) => h.startsWith(':'))).toBe(false);
    } finally {
      client.close();
    }
  });

  it('still answers HTTP/1.1 clients on the same port', async () => {
    const result = await new Promise<{ status: number; alpn: string | false | null }>((resolve, reject) => {
      const req = https.get(
        {
          host: '127.0.0.1',
          port: httpsPort,
          path: '/test/h1',
          rejectUnauthorized: false,
          ALPNProtocols: ['http/1.1'],
        } as https.RequestOptions & { ALPNProtocols: string[] },
        (res) => {
          const alpn = (res.socket as import('node:tls').TLSSocket).alpnProtocol;
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, alpn }));
        },
      );
      req.on('error', reject);
    });
    expect(result).toEqual({ status: 200, alpn: 'http/1.1' });
  });
});
