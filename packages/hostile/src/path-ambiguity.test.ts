/**
 * Paths mean one thing to the gateway and to every backend: ambiguous spellings that lenient backends (Tomcat,
 * Spring, IIS) resolve into another API's path are normalised before routing or refused; the header size limit
 * counts the whole head.
 */
import { startTestGateway, startTestUpstream, type TestGateway, type TestUpstream } from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRaw, rawRequest } from './raw.js';

let publicApi: TestUpstream;
let adminApi: TestUpstream;
let gw: TestGateway;

beforeAll(async () => {
  publicApi = await startTestUpstream();
  adminApi = await startTestUpstream();
  gw = await startTestGateway({
    version: 1,
    gateway: { maxHeaderSize: '16kb' },
    apis: [
      {
        id: 'public',
        name: 'Public',
        basePath: '/public',
        stripBasePath: false,
        upstream: { targets: [{ url: publicApi.url }] },
        plans: [{ id: 'open', security: { type: 'keyless' } }],
      },
      {
        id: 'admin',
        name: 'Admin',
        basePath: '/admin',
        stripBasePath: false,
        upstream: { targets: [{ url: adminApi.url }] },
        plans: [{ id: 'keyed', security: { type: 'api-key' } }],
      },
    ],
  });
});

afterAll(async () => {
  await gw?.close();
  await publicApi?.close();
  await adminApi?.close();
});

function get(path: string, extra = '') {
  return rawRequest(gw.port, `GET ${path} HTTP/1.1\r\nHost: gw.test\r\n${extra}Connection: close\r\n\r\n`);
}

describe('ambiguous paths', () => {
  // Each would reach /admin on a lenient backend behind the public API without the admin plan's key.
  it.each([
    ['/public/..;/admin/users'],
    ['/public/%2e%2e;/admin/users'],
    ['/public%2f..%2fadmin/users'],
    ['/public%5c..%5cadmin/users'],
    ['/public\\..\\admin/users'],
    ['/public/%252e%252e/admin/users'],
    ['/public/%ef%bc%8e%ef%bc%8e/admin/users'],
    ['/public/%00/users'],
  ])('%s is refused with 400 problem+json and reaches no upstream', async (path) => {
    const before = publicApi.requests.length + adminApi.requests.length;
    const answer = await get(path);
    expect(answer.status).toBe(400);
    expect(parseRaw(answer.text).headers['content-type']?.[0]).toContain('application/problem+json');
    expect(publicApi.requests.length + adminApi.requests.length).toBe(before);
  });

  it('resolves encoded dot segments before routing: /public/%2e%2e/admin is the admin API (and needs its key)', async () => {
    const answer = await get('/public/%2e%2e/admin/users');
    expect(answer.status).toBe(401);
    expect(publicApi.requests.some((r) => r.url.includes('admin'))).toBe(false);
  });

  it('forwards the normalised path, not the raw string', async () => {
    const answer = await get('/public//orders/./%61bc/../items;v=1?x=%2e');
    expect(answer.status).toBe(200);
    expect(publicApi.requests.at(-1)!.url).toBe('/public/orders/items;v=1?x=%2e');
  });
});

describe('header block size', () => {
  it('counts the whole block: thousands of tiny headers over the limit are 431', async () => {
    let headers = '';
    for (let i = 0; i < 3000; i++) headers += `x${i}:\r\n`; // ~14 KB of names (what Node counts), ~24 KB on the wire
    const answer = await get('/public/x', headers);
    expect(answer.status).toBe(431);
    expect(publicApi.requests.some((r) => r.headers.x1 !== undefined)).toBe(false);
  });

  it('counts whitespace the parser skips: a megabyte of padding before a value is 431', async () => {
    const answer = await get('/public/x', `X-Pad: ${' '.repeat(1 << 20)}v\r\n`);
    expect(answer.status).toBe(431);
  });

  it('still passes an ordinary request, and several on one connection', async () => {
    const one = 'GET /public/a HTTP/1.1\r\nHost: gw.test\r\nX-A: 1\r\n\r\n';
    const post = 'POST /public/b HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 20000\r\n\r\n';
    const answer = await rawRequest(gw.port, one, {
      chunks: [post + 'x'.repeat(20_000), one.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')],
      pauseMs: 100,
    });
    expect(answer.text.match(/HTTP\/1\.1 200/g)?.length).toBe(3);
  });
});
