/**
 * Raw HTTP/2 for the hostile suite: frames and HPACK blocks written by hand over TLS, because a well-behaved client
 * library would refuse to send what the tests send (oversized frames, forbidden streams, oversized header lists).
 */
import tls from 'node:tls';

export const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
export const TYPE = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, GOAWAY: 7, CONTINUATION: 9 } as const;
export const FLAG = { END_STREAM: 0x1, END_HEADERS: 0x4 } as const;
export const REFUSED_STREAM = 7;

export interface ReceivedFrame {
  type: number;
  flags: number;
  streamId: number;
  /** RST_STREAM and GOAWAY error code, 0 otherwise. */
  code: number;
  payload: Buffer;
}

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK integer with an `prefixBits`-bit prefix (RFC 7541 5.1); `first` carries the pattern bits above it. */
function hpackInteger(value: number, prefixBits: number, first: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([first | value]);
  const bytes = [first | max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function hpackString(value: string): Buffer {
  const bytes = Buffer.from(value, 'latin1');
  return Buffer.concat([hpackInteger(bytes.length, 7, 0), bytes]);
}

/** A literal field without indexing and with a literal name (RFC 7541 6.2.2): nothing enters the dynamic table. */
export function literalField(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00]), hpackString(name), hpackString(value)]);
}

/** A GET as an HPACK block: static-table :method GET and :scheme https, literal :path and :authority, then `extra`. */
export function getHeaders(path: string, extra: Buffer[] = []): Buffer {
  const indexedName = (index: number, value: string) => Buffer.concat([Buffer.from([index]), hpackString(value)]);
  return Buffer.concat([Buffer.from([0x82, 0x87]), indexedName(0x04, path), indexedName(0x01, '127.0.0.1'), ...extra]);
}

/** A raw TLS connection speaking h2, collecting the frames the server sends. */
export function rawH2(port: number) {
  const frames: ReceivedFrame[] = [];
  let buffer = Buffer.alloc(0);
  const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['h2'] });
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 9) {
      const length = buffer.readUIntBE(0, 3);
      if (buffer.length < 9 + length) break;
      const type = buffer[3]!;
      const flags = buffer[4]!;
      const streamId = buffer.readUInt32BE(5) & 0x7fffffff;
      const payload = Buffer.from(buffer.subarray(9, 9 + length));
      const code =
        type === TYPE.RST_STREAM ? payload.readUInt32BE(0) : type === TYPE.GOAWAY ? payload.readUInt32BE(4) : 0;
      frames.push({ type, flags, streamId, code, payload });
      buffer = buffer.subarray(9 + length);
    }
  });
  socket.on('error', () => {});
  const connected = new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, frames, connected, closed };
}

/** Sends the preface and an empty SETTINGS frame, then `rest`. */
export function open(client: ReturnType<typeof rawH2>, ...rest: Buffer[]): void {
  client.socket.write(Buffer.concat([Buffer.from(PREFACE), frame(TYPE.SETTINGS, 0, 0), ...rest]));
}

/** Waits for a condition (polling); the test's own timeout bounds it. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 20));
}
