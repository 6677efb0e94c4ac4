/**
 * A client's behaviour never counts against an upstream: declined upgrades and slow uploads are the client's
 * business (its answer, its 408), never a target failure that ejects the only target for everyone.
 */
import http2 from 'node:http2';
import net from 'node:net';
import { startTestGateway, startTestUpstream, type TestGateway, type TestUpstream } from '@gatehouse/gateway/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRaw, rawRequest } from './raw.js';
import { selfSigned } from './self-signed.js';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** One API on one target, ejected after three failures for 30 s: what a client must not be able to trigger. */
async function setup(gateway: Record<string, unknown> = {}, timeouts: Record<string, string> = {}) {
  const upstream = await startTestUpstream();
  let connections = 0;
  upstream.server.on('connection', () => connections++);
  const gw = await startTestGateway({
    version: 1,
    gateway,
    apis: [
      {
        id: 'plain',
        name: 'Plain API',
        basePath: '/api',
        upstream: {
          targets: [{ url: upstream.url }],
          timeouts: { response: '1s', ...timeouts },
          healthCheck: { passive: { failures: 3, cooldown: '30s' } },
        },
        plans: [{ id: 'open', security: { type: 'keyless' } }],
      },
    ],
  });
  cleanup.push(
    () => upstream.close(),
    () => gw.close(),
  );
  return { upstream, gw, connections: () => connections };
}

async function stillServes(gw: TestGateway): Promise<void> {
  const response = await gw.fetch('/api/health');
  await response.arrayBuffer();
  expect(response.status).toBe(200);
  expect(gw.current()!.apis[0]!.upstream.state().targets[0]!.healthy).toBe(true);
}

describe('upgrades the upstream declines', () => {
  it('a WebSocket handshake to a plain API gets the upstream answer, five times, and the API stays up', async () => {
    const { gw, upstream } = await setup();
    for (let i = 0; i < 5; i++) {
      const answer = await rawRequest(
        gw.port,
        'GET /api/chat HTTP/1.1\r\nHost: gw.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      expect(answer.status).toBe(200);
      expect(JSON.parse(parseRaw(answer.text).body).url).toBe('/chat');
    }
    expect(upstream.requests.length).toBe(5);
    await stillServes(gw);
  });

  it('an h2c upgrade (curl --http2 http://) is served as an ordinary request, the upgrade ignored', async () => {
    const { gw, upstream } = await setup();
    for (let i = 0; i < 4; i++) {
      const answer = await rawRequest(
        gw.port,
        'GET /api/items HTTP/1.1\r\nHost: gw.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n' +
          'HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n',
      );
      expect(answer.status).toBe(200);
    }
    const seen = upstream.requests.at(-1)!;
    expect(seen.headers.upgrade).toBeUndefined();
    expect(seen.headers['http2-settings']).toBeUndefined();
    await stillServes(gw);
  });
});

/** Sends a POST's head and `sent` bytes of a `length`-byte body, then stalls; resolves with what comes back. */
function stalledUpload(port: number, length: number, sent: number, waitMs: number) {
  return rawRequest(port, `POST /api/upload HTTP/1.1\r\nHost: gw.test\r\nContent-Length: ${length}\r\n\r\n`, {
    chunks: ['x'.repeat(sent)],
    pauseMs: 20,
    timeoutMs: waitMs,
  });
}

describe('slow request bodies', () => {
  it('stalled small uploads get 408, hold no upstream connection, and never eject the target', async () => {
    const { gw, connections } = await setup({ clientBodyTimeout: '1500ms' });
    const answers = await Promise.all([1, 2, 3, 4].map(() => stalledUpload(gw.port, 100, 1, 4_000)));
    for (const answer of answers) {
      expect(answer.status).toBe(408);
      expect(parseRaw(answer.text).headers['content-type']?.[0]).toContain('application/problem+json');
    }
    expect(connections()).toBe(0);
    await stillServes(gw);
  });

  it('a small body trickling in is buffered before an upstream connection is taken', async () => {
    const { gw, upstream, connections } = await setup({ clientBodyTimeout: '1s' });
    const pending = rawRequest(gw.port, 'POST /api/upload HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 6\r\n\r\n', {
      chunks: ['a', 'b', 'c', 'd', 'e', 'f'],
      pauseMs: 300,
      timeoutMs: 4_000,
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(connections()).toBe(0);
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(upstream.requests.at(-1)!.body).toBe('abcdef');
  });

  it('stalled large (streamed) uploads get 408 and are not target failures', async () => {
    const { gw } = await setup({ clientBodyTimeout: '1500ms', requestBodyBuffer: '1kb' });
    const answers = await Promise.all([1, 2, 3, 4].map(() => stalledUpload(gw.port, 100_000, 4_000, 5_000)));
    for (const answer of answers) expect(answer.status).toBe(408);
    await stillServes(gw);
  });

  it('caps the uploads one client may stream at once', async () => {
    const { gw } = await setup({ clientBodyTimeout: '3s', requestBodyBuffer: '1kb', maxStreamingUploadsPerClient: 2 });
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 2; i++) {
      const socket = net.connect(gw.port, '127.0.0.1');
      socket.write(`POST /api/upload HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(2_000)}`);
      sockets.push(socket);
    }
    await new Promise((r) => setTimeout(r, 300));
    const third = await stalledUpload(gw.port, 100_000, 2_000, 2_000);
    expect(third.status).toBe(429);
    for (const socket of sockets) socket.destroy();
  });
});

describe('slow request bodies over HTTP/2', () => {
  it('a stalled HTTP/2 upload gets 408 on its stream and the target stays in', async () => {
    const upstream = await startTestUpstream();
    const gw = await startTestGateway(
      {
        version: 1,
        gateway: { clientBodyTimeout: '500ms' },
        apis: [
          {
            id: 'plain',
            name: 'Plain API',
            basePath: '/api',
            upstream: {
              targets: [{ url: upstream.url }],
              timeouts: { response: '1s' },
              healthCheck: { passive: { failures: 1, cooldown: '30s' } },
            },
            plans: [{ id: 'open', security: { type: 'keyless' } }],
          },
        ],
      },
      { tls: { ...selfSigned(), port: 0 } },
    );
    cleanup.push(
      () => upstream.close(),
      () => gw.close(),
    );
    const session = http2.connect(gw.httpsUrl!, { rejectUnauthorized: false });
    cleanup.push(async () => void session.destroy());
    const stream = session.request({ ':path': '/api/upload', ':method': 'POST', 'content-length': '100' });
    stream.write('x');
    const status = await new Promise<number>((resolve) =>
      stream.once('response', (h) => resolve(Number(h[':status']))),
    );
    expect(status).toBe(408);
    stream.destroy();
    await stillServes(gw);
  });
});
