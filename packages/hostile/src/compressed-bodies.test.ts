/**
 * Response-body policies (masking with find-replace, json-transform, ...) must apply whatever
 * compression the client asks for: skipping compressed bodies let one Accept-Encoding header
 * bypass masking. The gateway asks the upstream for identity on such routes, decodes gzip,
 * deflate and br when the upstream compresses anyway, and fails closed (502) on anything else.
 */
import http from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { startTestGateway, startTestUpstream, type TestGateway, type TestUpstream } from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SECRET = '4111-1111-1111-1111';
const BODY = JSON.stringify({ card: SECRET, name: 'alice' });

/** GET without a client that decodes for us: the bytes as they leave the gateway, decoded here. */
function get(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const text = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
        });
      })
      .on('error', reject);
  });
}

function api(id: string, targetUrl: string, policies: unknown[] = []) {
  return {
    id,
    name: id,
    basePath: `/${id}`,
    upstream: { targets: [{ url: targetUrl }] },
    plans: [{ id: 'open', security: { type: 'keyless' } }],
    policies,
  };
}

const MASK = {
  policy: 'find-replace',
  config: {
    phase: 'response',
    replacements: [{ find: '\\d{4}-\\d{4}-\\d{4}-(\\d{4})', regex: true, replace: '****-$1' }],
  },
};

describe('compressed responses do not bypass body policies', () => {
  let honours: TestUpstream;
  let alwaysGzip: TestUpstream;
  let exotic: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    // Compresses when the client accepts gzip, as most servers do.
    honours = await startTestUpstream((req, res) => {
      const gzip = /gzip/.test(String(req.headers['accept-encoding'] ?? ''));
      res.writeHead(200, { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
      res.end(gzip ? gzipSync(BODY) : BODY);
    });
    alwaysGzip = await startTestUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(BODY));
    });
    exotic = await startTestUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'zstd' });
      res.end(BODY);
    });
    gw = await startTestGateway({
      version: 1,
      apis: [
        api('masked', honours.url, [MASK]),
        api('plain', honours.url),
        api('stubborn', alwaysGzip.url, [MASK]),
        api('exotic', exotic.url, [MASK]),
      ],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([honours?.close(), alwaysGzip?.close(), exotic?.close()]);
  });

  it('masks the body when the client asks for gzip (the upstream is asked for identity)', async () => {
    const res = await get(`${gw.url}/masked/card`, { 'accept-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(SECRET);
    expect(JSON.parse(res.text).card).toBe('****-1111');
    expect(honours.requests.at(-1)!.headers['accept-encoding']).toBe('identity');
  });

  it('leaves Accept-Encoding alone on routes without a body policy', async () => {
    const res = await get(`${gw.url}/plain/card`, { 'accept-encoding': 'gzip' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(honours.requests.at(-1)!.headers['accept-encoding']).toBe('gzip');
  });

  it('decodes an upstream that compresses anyway', async () => {
    const res = await get(`${gw.url}/stubborn/card`, { 'accept-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).card).toBe('****-1111');
  });

  it('fails closed with 502 on a coding it cannot decode', async () => {
    const res = await get(`${gw.url}/exotic/card`, {});
    expect(res.status).toBe(502);
    expect(res.text).not.toContain(SECRET);
    expect(JSON.parse(res.text).code).toBe('upstream_bad_response');
  });
});
