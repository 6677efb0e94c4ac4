/**
 * The client's upload, timed on its own: a slow client is the client's problem (408 to it), never a slow upstream.
 *
 * Small bodies are read whole before an upstream connection is taken (as nginx does), so clients sending a byte
 * every few seconds hold no upstream connection at all. Larger bodies stream through a timed pass-through whose idle
 * timer is the client's (nginx's client_body_timeout): when it fires, the upload fails with a GatewayError, which
 * the upstream layer recognises as not the target's doing.
 */
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { GatewayError } from '@gatehouse/core';

export type ClientBody =
  | { kind: 'buffered'; body: Buffer }
  | { kind: 'stream'; body: TimedBody }
  | { kind: 'failed'; error: GatewayError };

export function clientBodyTimeout(idleMs: number): GatewayError {
  // The handler closes an HTTP/1 connection after this answer (no Connection header here: HTTP/2 forbids it).
  return new GatewayError('request_timeout', { detail: `the request body paused for more than ${idleMs} ms` });
}

/**
 * Reads up to `limit` bytes of `source`. Done with the whole body when it fits; otherwise with a stream that replays
 * what was read and continues with the rest. Either way the client's pauses are bounded by `idleMs`.
 */
export function readClientBody(
  source: Readable,
  limit: number,
  idleMs: number,
  done: (result: ClientBody) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (result: ClientBody) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    source.off('data', onData);
    source.off('end', onEnd);
    source.off('error', onClose);
    source.off('close', onClose);
    done(result);
  };
  const onTimeout = () => {
    // The rest of this request is not worth reading: the connection closes after the 408.
    source.pause();
    settle({ kind: 'failed', error: clientBodyTimeout(idleMs) });
  };
  const timer = setTimeout(onTimeout, idleMs);
  const onData = (chunk: Buffer) => {
    timer.refresh();
    chunks.push(chunk);
    size += chunk.length;
    if (size <= limit) return;
    source.pause();
    const body = new TimedBody(idleMs);
    for (const chunk of chunks) body.write(chunk);
    settle({ kind: 'stream', body });
    pipeInto(source, body);
  };
  const onEnd = () => {
    settle({ kind: 'buffered', body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
  };
  const onClose = () => {
    if (source.readableEnded) return;
    settle({
      kind: 'failed',
      error: new GatewayError('upstream_unavailable', { status: 499, detail: 'The client closed the request' }),
    });
  };
  source.on('data', onData);
  source.on('end', onEnd);
  source.on('error', onClose);
  source.on('close', onClose);
}

/** Streams `source` (the client's upload) through a timed body from its start. */
export function streamClientBody(source: Readable, idleMs: number): TimedBody {
  const body = new TimedBody(idleMs);
  pipeInto(source, body);
  return body;
}

function pipeInto(source: Readable, body: TimedBody): void {
  source.on('error', (error) => body.destroy(error));
  source.on('close', () => {
    if (!source.readableEnded) body.destroy(new GatewayError('upstream_unavailable', { status: 499 }));
  });
  source.pipe(body);
  source.resume();
}

/**
 * The client's body on its way upstream. Its idle timer runs only while it waits for the client: once the client
 * has sent everything (`clientDone`), a body the upstream does not read is the upstream's slowness, not the client's.
 */
export class TimedBody extends Transform {
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly idleMs: number) {
    super();
    this.#timer = setTimeout(() => this.#idle(), idleMs);
  }

  #idle(): void {
    // Bytes still waiting here mean the upstream is not reading: that pause is not the client's.
    if (this.readableLength > 0 || this.writableLength > 0) this.#timer?.refresh();
    else this.destroy(clientBodyTimeout(this.idleMs));
  }

  /** True once the client sent the whole body. */
  get clientDone(): boolean {
    return this.writableFinished;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#timer?.refresh();
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#stop();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#stop();
    callback(error);
  }

  #stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
