/**
 * The header size limit (`gateway.maxHeaderSize`) counts the whole header block on every protocol: HTTP/2 header
 * lists (HPACK-decoded, 32 bytes per field as RFC 9113 counts them), whitespace inside values, and HTTP/1.1 heads
 * on the TLS listener, where the socket's byte count is of no use (it counts encrypted bytes).
 */
import tls from 'node:tls';
import { startTestGateway, startTestUpstream, type TestGateway, type TestUpstream } from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAG, frame, getHeaders, literalField, open, rawH2, TYPE, until } from './raw-h2.js';
import { selfSigned } from './self-signed.js';

let upstream: TestUpstream;
let gw: TestGateway;
let port: number;

beforeAll(async () => {
  upstream = await startTestUpstream();
  gw = await startTestGateway(
    {
      version: 1,
      gateway: { maxHeaderSize: '16kb', keepAliveTimeout: '60s' },
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
  port = Number(new URL(gw.httpsUrl!).port);
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

/** Sends one GET with `extra` header fields on stream 1 and returns what the server did with that stream. */
async function h2Get(path: string, extra: Buffer[]) {
  const client = rawH2(port);
  await client.connected;
  const block = getHeaders(path, extra);
  // Frames carry at most 16 KB (the default SETTINGS_MAX_FRAME_SIZE): the rest goes in CONTINUATION frames.
  const pieces: Buffer[] = [];
  for (let at = 0; at < block.length; at += 16_384) pieces.push(block.subarray(at, at + 16_384));
  const frames = pieces.map((piece, i) => {
    const last = i === pieces.length - 1 ? FLAG.END_HEADERS : 0;
    return i === 0 ? frame(TYPE.HEADERS, FLAG.END_STREAM | last, 1, piece) : frame(TYPE.CONTINUATION, last, 1, piece);
  });
  open(client, ...frames);
  const ended = () =>
    client.frames.some(
      (f) => (f.streamId === 1 && (f.type === TYPE.RST_STREAM || f.flags & FLAG.END_STREAM)) || f.type === TYPE.GOAWAY,
    );
  await Promise.race([until(ended), client.closed]);
  const headers = client.frames.find((f) => f.type === TYPE.HEADERS && f.streamId === 1);
  const reset = client.frames.find((f) => f.type === TYPE.RST_STREAM && f.streamId === 1);
  const goaway = client.frames.find((f) => f.type === TYPE.GOAWAY);
  client.socket.destroy();
  // The first byte of a response HPACK block from Node is an indexed :status (0x88 = 200) or a literal one.
  return { headers, reset, goaway, status: headers ? statusOf(headers.payload) : 0 };
}

/** :status of a response block: Node sends it first, indexed (static entries 8-14) or literal with indexed name. */
function statusOf(block: Buffer): number {
  const first = block[0]!;
  const indexed: Record<number, number> = { 136: 200, 137: 204, 138: 206, 139: 304, 140: 400, 141: 404, 142: 500 };
  if (indexed[first] !== undefined) return indexed[first]!;
  // Literal with name index 8 (:status), 4- or 6-bit prefix; value is three ASCII digits when not Huffman-coded.
  const length = block[1]! & 0x7f;
  if ((block[1]! & 0x80) === 0 && length === 3) return Number(block.subarray(2, 5).toString('latin1'));
  return -1;
}

function refused(answer: Awaited<ReturnType<typeof h2Get>>): boolean {
  // Node answers 431 for a list over maxHeaderListSize; malformed blocks end in RST_STREAM or GOAWAY.
  return answer.status === 431 || answer.reset !== undefined || answer.goaway !== undefined;
}

describe('HTTP/2 header lists', () => {
  it('serves a header list under the limit (the limit is what refuses the others)', async () => {
    const answer = await h2Get('/api/ok', [literalField('x-big', 'v'.repeat(10_000))]);
    expect(answer.status).toBe(200);
  });

  it('refuses a list over the limit made of fields under it', async () => {
    const fields = [1, 2, 3].map((i) => literalField(`x-part${i}`, 'v'.repeat(7_000)));
    const answer = await h2Get('/api/parts', fields);
    expect(answer.status).toBe(431);
    expect(upstream.requests.some((r) => r.url === '/parts')).toBe(false);
  });

  it('refuses a single field over the limit', async () => {
    const answer = await h2Get('/api/big', [literalField('x-big', 'v'.repeat(20_000))]);
    expect(refused(answer)).toBe(true);
    expect(upstream.requests.some((r) => r.url === '/big')).toBe(false);
  });

  it('counts whitespace inside values', async () => {
    const answer = await h2Get('/api/space', [literalField('x-space', `a${' '.repeat(20_000)}b`)]);
    expect(refused(answer)).toBe(true);
    expect(upstream.requests.some((r) => r.url === '/space')).toBe(false);
  });

  it('refuses values with surrounding whitespace (malformed, RFC 9113 8.2.1) with 400, never forwarding them', async () => {
    const answer = await h2Get('/api/lead', [literalField('x-lead', `${' '.repeat(1_000)}v`)]);
    expect(answer.status).toBe(400);
    expect(upstream.requests.some((r) => r.url === '/lead')).toBe(false);
  });

  it('counts fields with surrounding whitespace (nghttp2 dropped them uncounted: 30 KB passed a 16 KB limit)', async () => {
    const fields = [1, 2, 3].map((i) => literalField(`x-lead${i}`, ` ${'v'.repeat(10_000)}`));
    const answer = await h2Get('/api/lead3', fields);
    expect(answer.status).toBe(431);
    expect(upstream.requests.some((r) => r.url === '/lead3')).toBe(false);
  });

  it('refuses fields with upper-case names (malformed) rather than dropping them uncounted', async () => {
    const answer = await h2Get(
      '/api/upper',
      [1, 2, 3].map((i) => literalField(`X-Up${i}`, 'v'.repeat(10_000))),
    );
    expect(refused(answer)).toBe(true);
    expect(upstream.requests.some((r) => r.url === '/upper')).toBe(false);
  });

  it('counts every field with its overhead: many small fields under the byte count of names and values', async () => {
    // 100 fields of 100 bytes: 10 KB of names and values, 13.2 KB with RFC 9113's 32 bytes per field.
    const fields = Array.from({ length: 100 }, (_, i) =>
      literalField(`x-f${String(i).padStart(3, '0')}`, 'v'.repeat(94)),
    );
    const ok = await h2Get('/api/hundred', fields);
    expect(ok.status).toBe(200);
    // 400 fields of 20 bytes: 8 KB of names and values, 20.8 KB as counted.
    const many = Array.from({ length: 400 }, (_, i) =>
      literalField(`x-f${String(i).padStart(3, '0')}`, 'v'.repeat(14)),
    );
    const answer = await h2Get('/api/many', many);
    expect(refused(answer)).toBe(true);
    expect(upstream.requests.some((r) => r.url === '/many')).toBe(false);
  });
});

/** One HTTP/1.1 request over the TLS listener (ALPN http/1.1), answered status. */
function tlsHttp1(head: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve(match ? Number(match[1]) : 0);
    });
    socket.once('secureConnect', () => socket.write(head));
  });
}

describe('HTTP/1.1 on the TLS listener', () => {
  it('counts whitespace before a value', async () => {
    const status = await tlsHttp1(
      `GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad:${' '.repeat(1_000_000)}v\r\nConnection: close\r\n\r\n`,
    );
    expect(status).toBe(431);
    expect(upstream.requests.some((r) => r.url === '/ws')).toBe(false);
  });

  it('counts the separators of many small fields', async () => {
    const fields = Array.from({ length: 4_000 }, (_, i) => `x${i}:v\r\n`).join('');
    const status = await tlsHttp1(`GET /api/small HTTP/1.1\r\nHost: 127.0.0.1\r\n${fields}Connection: close\r\n\r\n`);
    expect(status).toBe(431);
  });

  it('serves a head under the limit', async () => {
    const status = await tlsHttp1(
      `GET /api/fine HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'v'.repeat(8_000)}\r\nConnection: close\r\n\r\n`,
    );
    expect(status).toBe(200);
  });
});
