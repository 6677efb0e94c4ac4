import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRaw, rawRequest } from './raw.js';

// The suite's own tool must be able to tell a framing error from a good answer.
describe('raw socket client', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads a well-framed answer', async () => {
    const answer = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    const parsed = parseRaw(answer.text);
    expect(parsed.status).toBe(200);
    expect(parsed.body).toContain('ok');
  });

  it('sees the 400 a malformed request line earns', async () => {
    const answer = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n');
    expect(answer.status).toBe(400);
  });
});
