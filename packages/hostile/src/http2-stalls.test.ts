/**
 * Nothing one HTTP/2 client does stalls the others: the advertised stream limit is enforced, connections that ended
 * in a protocol error are closed, and shutdown finishes within the drain timeout with HTTP/2 clients connected.
 * Frames are written by hand (a well-behaved client library would obey the limits under test).
 */
import http2 from 'node:http2';
import { startTestGateway, startTestUpstream, type TestGateway, type TestUpstream } from '@gatehouse/gateway/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { frame, getHeaders, PREFACE, REFUSED_STREAM, rawH2, TYPE, until } from './raw-h2.js';
import { selfSigned } from './self-signed.js';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function setup(gateway: Record<string, unknown> = {}, upstreamDelayMs = 0) {
  const upstream: TestUpstream = await startTestUpstream((_req, res) => {
    setTimeout(() => res.end('ok'), upstreamDelayMs);
  });
  const gw: TestGateway = await startTestGateway(
    {
      version: 1,
      gateway,
      apis: [
        {
          id: 'api',
          name: 'API',
          basePath: '/api',
          upstream: { targets: [{ url: upstream.url }] },
          plans: [{ id: 'open', security: { type: 'keyless' } }],
        },
      ],
    },
    { tls: { ...selfSigned(), port: 0 } },
  );
  let closed = false;
  cleanup.push(
    () => upstream.close(),
    async () => {
      if (!closed) await gw.close();
    },
  );
  return { upstream, gw, port: Number(new URL(gw.httpsUrl!).port), markClosed: () => (closed = true) };
}

describe('HTTP/2 stream limit', () => {
  it('refuses streams beyond the advertised limit; the upstream never sees them', async () => {
    const { upstream, port } = await setup({ http2MaxConcurrentStreams: 10 }, 1_000);
    const client = rawH2(port);
    await client.connected;
    const frames = [Buffer.from(PREFACE), frame(TYPE.SETTINGS, 0, 0)];
    for (let i = 0; i < 30; i++) frames.push(frame(TYPE.HEADERS, 0x5, 1 + 2 * i, getHeaders(`/api/s${i}`)));
    client.socket.write(Buffer.concat(frames));
    const refused = () => client.frames.filter((f) => f.type === TYPE.RST_STREAM && f.code === REFUSED_STREAM);
    const goaway = () => client.frames.some((f) => f.type === TYPE.GOAWAY);
    await until(() => refused().length >= 20 || goaway());
    // The test upstream records a request once it arrived (it answers a second later): the ten admitted at most.
    await until(() => upstream.requests.length >= 10);
    expect(upstream.requests.length).toBe(10);
    expect(refused().length >= 20 || goaway()).toBe(true);
    client.socket.destroy();
  });

  it('advertises the limit in its SETTINGS', async () => {
    const { gw } = await setup({ http2MaxConcurrentStreams: 10 });
    const session = http2.connect(gw.httpsUrl!, { rejectUnauthorized: false });
    const settings = await new Promise<http2.Settings>((resolve) => session.once('remoteSettings', resolve));
    expect(settings.maxConcurrentStreams).toBe(10);
    session.destroy();
  });
});

describe('HTTP/2 connections that ended badly', () => {
  // The keep-alive timeout is a minute and the client never sends FIN: only the server closing the connection on
  // its own after the protocol error ends it. The bound is generous; closing takes milliseconds.
  const violations: Array<[string, (client: ReturnType<typeof rawH2>) => Buffer]> = [
    // A frame header announcing 16 MB: FRAME_SIZE_ERROR.
    ['an oversized frame', () => Buffer.from([0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1])],
    // HEADERS on stream 0: PROTOCOL_ERROR.
    ['HEADERS on stream 0', () => frame(TYPE.HEADERS, 0x5, 0, getHeaders('/api/x'))],
    // A client may only open odd streams: PROTOCOL_ERROR.
    ['HEADERS on an even stream', () => frame(TYPE.HEADERS, 0x5, 2, getHeaders('/api/x'))],
    // An HPACK index beyond both tables: COMPRESSION_ERROR.
    ['an undecodable header block', () => frame(TYPE.HEADERS, 0x5, 1, Buffer.from([0xff, 0x7f]))],
    // SETTINGS with a length that is not a multiple of 6: FRAME_SIZE_ERROR.
    ['a malformed SETTINGS frame', () => frame(TYPE.SETTINGS, 0, 0, Buffer.from([0, 1, 0]))],
  ];

  for (const [name, bad] of violations) {
    it(`closes the connection promptly after ${name} (no CLOSE-WAIT, no keep-alive wait)`, async () => {
      const { port } = await setup({ keepAliveTimeout: '60s' });
      const client = rawH2(port);
      await client.connected;
      client.socket.write(Buffer.concat([Buffer.from(PREFACE), frame(TYPE.SETTINGS, 0, 0), bad(client)]));
      const outcome = await Promise.race([client.closed.then(() => 'closed'), sleep(10_000).then(() => 'still open')]);
      expect(outcome).toBe('closed');
      expect(client.frames.some((f) => f.type === TYPE.GOAWAY)).toBe(true);
    });
  }

  it('closes the connection promptly after a protocol error while a stream is waiting on the upstream', async () => {
    const { port } = await setup({ keepAliveTimeout: '60s' }, 30_000);
    const client = rawH2(port);
    await client.connected;
    client.socket.write(
      Buffer.concat([
        Buffer.from(PREFACE),
        frame(TYPE.SETTINGS, 0, 0),
        frame(TYPE.HEADERS, 0x5, 1, getHeaders('/api/slow')),
      ]),
    );
    await until(() => client.frames.filter((f) => f.type === TYPE.SETTINGS).length >= 2);
    client.socket.write(frame(TYPE.HEADERS, 0x5, 0, getHeaders('/api/x')));
    const outcome = await Promise.race([client.closed.then(() => 'closed'), sleep(10_000).then(() => 'still open')]);
    expect(outcome).toBe('closed');
  });

  it('closes a connection whose client sends garbage instead of the preface', async () => {
    const { port } = await setup({ keepAliveTimeout: '60s' });
    const client = rawH2(port);
    await client.connected;
    client.socket.write(Buffer.from('GARBAGE * HTTP/9.9\r\n\r\nnot a preface at all\r\n\r\n'));
    const outcome = await Promise.race([client.closed.then(() => 'closed'), sleep(10_000).then(() => 'still open')]);
    expect(outcome).toBe('closed');
  });

  it('closes a connection after the client sent GOAWAY and FIN, before the keep-alive timeout', async () => {
    const { port } = await setup({ keepAliveTimeout: '60s' });
    const client = rawH2(port);
    await client.connected;
    client.socket.write(Buffer.concat([Buffer.from(PREFACE), frame(TYPE.SETTINGS, 0, 0)]));
    client.socket.end(frame(TYPE.GOAWAY, 0, 0, Buffer.alloc(8)));
    const outcome = await Promise.race([client.closed.then(() => 'closed'), sleep(10_000).then(() => 'still open')]);
    expect(outcome).toBe('closed');
  });

  it('closes an idle HTTP/2 connection after the keep-alive timeout', async () => {
    const { port } = await setup({ keepAliveTimeout: '500ms' });
    const client = rawH2(port);
    await client.connected;
    client.socket.write(Buffer.concat([Buffer.from(PREFACE), frame(TYPE.SETTINGS, 0, 0)]));
    const outcome = await Promise.race([client.closed.then(() => 'closed'), sleep(3_000).then(() => 'still open')]);
    expect(outcome).toBe('closed');
  });
});

describe('shutdown with HTTP/2 clients', () => {
  // Generous bounds: shutdown used to wait for connected HTTP/2 clients forever; these only tell "ends" from "hangs".
  it('finishes while an HTTP/2 client stays connected, letting its request finish', async () => {
    const { gw, upstream, markClosed } = await setup({ drainTimeout: '5s', keepAliveTimeout: '60s' }, 300);
    const session = http2.connect(gw.httpsUrl!, { rejectUnauthorized: false });
    session.on('error', () => {});
    const stream = session.request({ ':path': '/api/slow' });
    const status = new Promise<number>((resolve) => stream.once('response', (h) => resolve(Number(h[':status']))));
    stream.resume();
    stream.end();
    await until(() => upstream.requests.length > 0);
    const outcome = await Promise.race([gw.close().then(() => 'closed'), sleep(15_000).then(() => 'hung')]);
    markClosed();
    expect(outcome).toBe('closed');
    expect(await status).toBe(200);
    session.destroy();
  });

  it('ends at the drain timeout when a client ignores GOAWAY and its stream outlives the drain', async () => {
    const { gw, upstream, markClosed } = await setup({ drainTimeout: '1s', keepAliveTimeout: '60s' }, 60_000);
    const client = rawH2(port(gw));
    await client.connected;
    client.socket.write(
      Buffer.concat([
        Buffer.from(PREFACE),
        frame(TYPE.SETTINGS, 0, 0),
        frame(TYPE.HEADERS, 0x5, 1, getHeaders('/api/slow')),
      ]),
    );
    await until(() => upstream.requests.length > 0);
    const outcome = await Promise.race([gw.close().then(() => 'closed'), sleep(15_000).then(() => 'hung')]);
    markClosed();
    expect(outcome).toBe('closed');
    expect(client.frames.some((f) => f.type === TYPE.GOAWAY)).toBe(true);
    await client.closed;
  });
});

function port(gw: TestGateway): number {
  return Number(new URL(gw.httpsUrl!).port);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
