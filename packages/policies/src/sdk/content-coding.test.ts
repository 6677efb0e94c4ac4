import { brotliCompressSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type BodyDecodeError, contentCodings, decodeBody } from './content-coding.js';

describe('content codings', () => {
  it('lists codings in the order applied, without identity', () => {
    expect(contentCodings(' GZIP, identity ,br')).toEqual(['gzip', 'br']);
    expect(contentCodings('')).toEqual([]);
  });

  it('undoes stacked codings, last applied first', async () => {
    const body = brotliCompressSync(gzipSync(Buffer.from('hello')));
    expect((await decodeBody(body, ['gzip', 'br'], 100)).toString()).toBe('hello');
  });

  it('refuses unknown codings, corrupt data and output beyond the cap', async () => {
    const reason = (promise: Promise<unknown>) => promise.catch((e: BodyDecodeError) => e.reason);
    expect(await reason(decodeBody(Buffer.from('x'), ['zstd'], 100))).toBe('unsupported');
    expect(await reason(decodeBody(Buffer.from('x'), ['gzip'], 100))).toBe('corrupt');
    expect(await reason(decodeBody(gzipSync(Buffer.alloc(1000)), ['gzip'], 100))).toBe('too_large');
  });
});
