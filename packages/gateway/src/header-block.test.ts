import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { h2FieldWhitespace, h2HeaderListTooLarge, headBlockTooLarge } from './header-block.js';

/** What the HTTP/1 parser hands over: the parsed head and the socket's byte count so far. */
function request(socket: { bytesRead: number }, rawHeaders: string[], url = '/x'): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i]!.toLowerCase()] = rawHeaders[i + 1]!;
  return { method: 'GET', url, rawHeaders, headers, socket } as unknown as IncomingMessage;
}

describe('headBlockTooLarge', () => {
  it('passes an ordinary head', () => {
    const socket = { bytesRead: 60 };
    expect(headBlockTooLarge(request(socket, ['Host', 'a.test', 'Accept', '*/*']), 16_384)).toBe(false);
  });

  it('counts separators: many tiny fields exceed the limit though names and values alone do not', () => {
    const raw: string[] = [];
    for (let i = 0; i < 1000; i++) raw.push(`x${i % 10}`, '');
    // 2,000 bytes of names, ~6,000 on the wire
    expect(headBlockTooLarge(request({ bytesRead: 0 }, raw), 4_000)).toBe(true);
  });

  it('counts bytes the parser skipped (whitespace) from the connection, minus declared bodies', () => {
    expect(headBlockTooLarge(request({ bytesRead: 1_048_600 }, ['Host', 'a', 'X', 'v']), 16_384)).toBe(true);
    // The same count is fine when a declared body explains it.
    const socket = { bytesRead: 100_080 };
    expect(headBlockTooLarge(request(socket, ['Host', 'a', 'Content-Length', '100000']), 16_384)).toBe(false);
    // A connection whose first head was read alone, then its body, then a 20 KB head: the body is discounted.
    const fresh = { bytesRead: 80 };
    expect(headBlockTooLarge(request(fresh, ['Host', 'a', 'Content-Length', '100000']), 16_384)).toBe(false);
    fresh.bytesRead = 80 + 100_000 + 20_100;
    expect(headBlockTooLarge(request(fresh, ['Host', 'a']), 16_384)).toBe(true);
    // Limitation: had the earlier body arrived with its head, the later count comes out smaller. It errs towards
    // missing padding on a reused connection, never towards a false 431.
    const reused = { bytesRead: 100_080 };
    headBlockTooLarge(request(reused, ['Host', 'a', 'Content-Length', '100000']), 16_384);
    reused.bytesRead = 100_080 + 20_100;
    expect(headBlockTooLarge(request(reused, ['Host', 'a']), 16_384)).toBe(false);
  });
});

describe('h2FieldWhitespace', () => {
  it('names the first field whose value starts or ends with whitespace', () => {
    expect(h2FieldWhitespace([':path', '/x', 'accept', '*/*', 'x-inner', 'a  b'])).toBeUndefined();
    expect(h2FieldWhitespace([':path', '/x', 'x-lead', ' v'])).toBe('x-lead');
    expect(h2FieldWhitespace(['x-trail', 'v\t', 'x-lead', ' v'])).toBe('x-trail');
    expect(h2FieldWhitespace(['x-empty', ''])).toBeUndefined();
  });
});

describe('h2HeaderListTooLarge', () => {
  it('counts names, values and 32 bytes per field, as RFC 9113 does', () => {
    const fields = (count: number, value: string) => Array.from({ length: count }, (_, i) => [`x-${i}`, value]).flat();
    // 100 fields of "x-N" or "x-NN" and 10 bytes: 1,390 bytes of names and values, 4,590 counted.
    expect(h2HeaderListTooLarge(fields(100, 'v'.repeat(10)), 4_590)).toBe(false);
    expect(h2HeaderListTooLarge(fields(100, 'v'.repeat(10)), 4_589)).toBe(true);
    expect(h2HeaderListTooLarge([':path', '/', 'x', ' '.repeat(20_000)], 16_384)).toBe(true);
  });
});
