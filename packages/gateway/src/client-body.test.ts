import { PassThrough } from 'node:stream';
import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { type ClientBody, readClientBody, streamClientBody } from './client-body.js';

function read(source: PassThrough, limit: number, idleMs: number): Promise<ClientBody> {
  return new Promise((resolve) => readClientBody(source, limit, idleMs, resolve));
}

async function collect(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

describe('readClientBody', () => {
  it('buffers a body that fits', async () => {
    const source = new PassThrough();
    const result = read(source, 10, 1_000);
    source.write('abc');
    source.end('def');
    expect(await result).toEqual({ kind: 'buffered', body: Buffer.from('abcdef') });
  });

  it('hands over a stream replaying what it read when the body is larger', async () => {
    const source = new PassThrough();
    const result = read(source, 4, 1_000);
    source.write('abc');
    source.write('def');
    const body = await result;
    expect(body.kind).toBe('stream');
    source.end('ghi');
    expect(await collect((body as { body: NodeJS.ReadableStream }).body)).toBe('abcdefghi');
  });

  it('fails with 408 when the client pauses longer than the idle timeout', async () => {
    const source = new PassThrough();
    const result = read(source, 100, 50);
    source.write('a');
    const body = await result;
    expect(body.kind).toBe('failed');
    const error = (body as { error: GatewayError }).error;
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.status).toBe(408);
  });
});

describe('streamClientBody', () => {
  it('times out a stalled client with a GatewayError (not the upstream)', async () => {
    const source = new PassThrough();
    const body = streamClientBody(source, 50);
    body.resume();
    source.write('a');
    const error = await new Promise<unknown>((resolve) => body.once('error', resolve));
    expect((error as GatewayError).status).toBe(408);
  });

  it('does not blame the client while the upstream is not reading', async () => {
    const source = new PassThrough();
    const body = streamClientBody(source, 50);
    source.end(Buffer.alloc(200_000)); // more than the buffers hold: the upstream side never reads
    await new Promise((r) => setTimeout(r, 200));
    expect(body.destroyed).toBe(false);
    expect((await collect(body)).length).toBe(200_000);
  });
});
