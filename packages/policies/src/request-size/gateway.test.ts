import http from 'node:http';
import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

/** POSTs a chunked body (no Content-Length) in several writes. */
function postChunked(port: number, path: string, chunks: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'text/plain' } },
      (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('request-size through the gateway', () => {
  const { gw, upstream } = useTestGateway((upstream) =>
    simpleDocument(upstream.url, { policies: [{ policy: 'request-size', config: { max: '1kb' } }] }),
  );

  it('refuses a declared Content-Length over the limit with 413 without calling the upstream', async () => {
    const before = upstream.requests.length;
    const res = await gw.fetch('/test/upload', { method: 'POST', body: 'x'.repeat(2000) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('payload_too_large');
    expect(upstream.requests.length).toBe(before);
  });

  it('measures chunked bodies: 413 beyond the limit, forwarded intact within it', async () => {
    const big = await postChunked(gw.port, '/test/upload', ['a'.repeat(600), 'b'.repeat(600)]);
    expect(big.status).toBe(413);
    const small = await postChunked(gw.port, '/test/upload', ['a'.repeat(500), 'b'.repeat(500)]);
    expect(small.status).toBe(200);
    expect((JSON.parse(small.body) as { body: string }).body).toBe('a'.repeat(500) + 'b'.repeat(500));
  });
});
