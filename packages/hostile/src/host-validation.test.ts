/** The client's Host (HTTP/1) or :authority (HTTP/2) is validated before it routes or becomes X-Forwarded-Host. */
import http2 from 'node:http2';
import { startTestGateway, startTestUpstream, type TestGateway, type TestUpstream } from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRaw, rawRequest } from './raw.js';
import { selfSigned } from './self-signed.js';

let upstream: TestUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startTestUpstream();
  gw = await startTestGateway(
    {
      version: 1,
      apis: [
        {
          id: 'open',
          name: 'Open',
          basePath: '/open',
          upstream: { targets: [{ url: upstream.url }] },
          plans: [{ id: 'open', security: { type: 'keyless' } }],
        },
      ],
    },
    { tls: { ...selfSigned(), port: 0 } },
  );
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('HTTP/1 Host', () => {
  it.each([
    ['two Host headers', 'Host: a.test\r\nHost: evil.test\r\n'],
    ['a Host with a path', 'Host: a.test/evil\r\n'],
    ['a Host with userinfo', 'Host: user@a.test\r\n'],
    ['a Host with spaces', 'Host: a.test evil\r\n'],
    ['a Host with a bad port', 'Host: a.test:99999\r\n'],
    ['a Host with markup', 'Host: <script>\r\n'],
    ['an unclosed IPv6 literal', 'Host: [::1\r\n'],
  ])('%s is 400 problem+json and never forwarded', async (_name, hostLines) => {
    const before = upstream.requests.length;
    const answer = await rawRequest(gw.port, `GET /open/x HTTP/1.1\r\n${hostLines}Connection: close\r\n\r\n`);
    expect(answer.status).toBe(400);
    expect(parseRaw(answer.text).headers['content-type']?.[0]).toContain('application/problem+json');
    expect(upstream.requests.length).toBe(before);
  });

  it.each([['api.example.com'], ['api.example.com:8443'], ['127.0.0.1:80'], ['[::1]:8080']])(
    'a valid Host (%s) passes and becomes X-Forwarded-Host',
    async (host) => {
      const answer = await rawRequest(gw.port, `GET /open/x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expect(answer.status).toBe(200);
      expect(upstream.requests.at(-1)!.headers['x-forwarded-host']).toBe(host);
    },
  );
});

describe('HTTP/2 :authority', () => {
  function h2Status(headers: http2.OutgoingHttpHeaders): Promise<number> {
    const session = http2.connect(gw.httpsUrl!, { rejectUnauthorized: false });
    return new Promise<number>((resolve, reject) => {
      session.on('error', reject);
      const stream = session.request({ ':path': '/open/x', ...headers });
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.on('error', reject);
      stream.resume();
      stream.end();
    }).finally(() => session.close());
  }

  it('refuses an invalid :authority (400, or a stream reset by nghttp2 itself) before any upstream sees it', async () => {
    const before = upstream.requests.length;
    // Newer nghttp2 (Node 24) resets some of these streams with PROTOCOL_ERROR before the gateway sees
    // them; older ones hand them over and the gateway answers 400. Either way: refused, never proxied.
    const refused = (authority: string) =>
      h2Status({ ':authority': authority }).then(
        (status) => status === 400,
        (error: Error) => /PROTOCOL_ERROR/.test(error.message),
      );
    for (const authority of ['user@a.test', 'a.test:99999', 'a.test,evil.test', 'a.test/evil']) {
      expect(await refused(authority), authority).toBe(true);
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('refuses a Host that names something else than :authority', async () => {
    expect(await h2Status({ ':authority': 'a.test', host: 'evil.test' })).toBe(400);
  });

  it('passes a valid :authority on as X-Forwarded-Host', async () => {
    expect(await h2Status({ ':authority': 'api.example.com' })).toBe(200);
    expect(upstream.requests.at(-1)!.headers['x-forwarded-host']).toBe('api.example.com');
  });
});
