/**
 * Content-Encoding for body policies. A policy that masks or reshapes a body must see the bytes the
 * client will see: skipping compressed bodies let any client bypass masking with one
 * Accept-Encoding header. gzip, deflate and br are decoded (on the libuv pool, the output capped at
 * the policy's body limit, so a zip bomb costs at most that much); anything else fails closed.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';

type Decoder = (input: Buffer, options: zlib.ZlibOptions & zlib.BrotliOptions) => Promise<Buffer>;

const gunzip = promisify(zlib.gunzip) as Decoder;
const inflate = promisify(zlib.inflate) as Decoder;
const inflateRaw = promisify(zlib.inflateRaw) as Decoder;
const brotli = promisify(zlib.brotliDecompress) as Decoder;

const DECODERS: Record<string, Decoder> = {
  gzip: gunzip,
  'x-gzip': gunzip,
  // RFC 9110 says zlib-wrapped; some servers send raw deflate.
  deflate: (input, options) => inflate(input, options).catch(() => inflateRaw(input, options)),
  br: brotli,
};

/** The codings of a Content-Encoding value, in the order they were applied; identity dropped. */
export function contentCodings(header: string): string[] {
  return header
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
}

export type DecodeFailure = 'unsupported' | 'too_large' | 'corrupt';

export class BodyDecodeError extends Error {
  constructor(
    readonly reason: DecodeFailure,
    message: string,
  ) {
    super(message);
    this.name = 'BodyDecodeError';
  }
}

/** Undoes `codings` (last applied first). Throws BodyDecodeError; never returns more than maxBytes. */
export async function decodeBody(body: Buffer, codings: readonly string[], maxBytes: number): Promise<Buffer> {
  const unsupported = codings.find((coding) => DECODERS[coding] === undefined);
  if (unsupported !== undefined)
    throw new BodyDecodeError('unsupported', `content coding "${unsupported}" is not supported`);
  let decoded = body;
  for (const coding of [...codings].reverse()) {
    try {
      decoded = await DECODERS[coding]!(decoded, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
        throw new BodyDecodeError('too_large', `decoded body exceeds ${maxBytes} bytes`);
      throw new BodyDecodeError('corrupt', `body is not valid ${coding} data`);
    }
  }
  return decoded;
}
