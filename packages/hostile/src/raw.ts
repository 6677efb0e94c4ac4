/**
 * Raw-socket client for the hostile suite: sends exact bytes (no client library normalising them)
 * and reads what the server answers until it closes the connection or a deadline passes.
 */
import net from 'node:net';

export interface RawAnswer {
  /** Everything received, as latin1 text (bytes kept one-to-one). */
  text: string;
  /** Status code of the first response, or 0 when none arrived. */
  status: number;
  /** True when the server closed the connection before the deadline. */
  closed: boolean;
}

export interface RawOptions {
  /** Give up waiting after this many milliseconds (default 2,000). */
  timeoutMs?: number;
  /** Bytes sent in separate writes, with this pause between them. */
  chunks?: Array<string | Buffer>;
  pauseMs?: number;
}

export function rawRequest(port: number, bytes: string | Buffer, options: RawOptions = {}): Promise<RawAnswer> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: match ? Number(match[1]) : 0, closed });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('end', () => {
      closed = true;
      finish();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') {
        closed = true;
        return finish();
      }
      clearTimeout(timer);
      reject(error);
    });
    socket.on('connect', async () => {
      socket.write(bytes);
      for (const chunk of options.chunks ?? []) {
        await new Promise((r) => setTimeout(r, options.pauseMs ?? 0));
        if (socket.destroyed) return;
        socket.write(chunk);
      }
    });
  });
}

/** Splits a raw answer into its head lines (lower-cased header names) and body. */
export function parseRaw(text: string): { status: number; headers: Record<string, string[]>; body: string } {
  const end = text.indexOf('\r\n\r\n');
  const head = end >= 0 ? text.slice(0, end) : text;
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const values = headers[name] ?? [];
    values.push(line.slice(colon + 1).trim());
    headers[name] = values;
  }
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  return { status: match ? Number(match[1]) : 0, headers, body: end >= 0 ? text.slice(end + 4) : '' };
}
