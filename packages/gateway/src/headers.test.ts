import { type HeaderEdit, recordHeaderEdit } from '@gatehouse/policies';
import { describe, expect, it } from 'vitest';
import { forwardableHeadersFromRaw, forwardableRawHeaderList, nextTraceparent } from './headers.js';

const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p, 'latin1'));

describe('forwardableRawHeaderList', () => {
  it('keeps end-to-end headers in order (duplicates too) and drops hop-by-hop ones', () => {
    const list = forwardableRawHeaderList(
      raw(
        'Content-Type',
        'application/json',
        'Set-Cookie',
        'a=1',
        'Connection',
        'keep-alive',
        'Keep-Alive',
        'timeout=5',
        'Transfer-Encoding',
        'chunked',
        'Set-Cookie',
        'b=2',
      ),
      undefined,
      'x-request-id',
    );
    expect(list).toEqual(['content-type', 'application/json', 'set-cookie', 'a=1', 'set-cookie', 'b=2']);
  });

  it('leaves a Connection header naming other headers to the object path', () => {
    expect(
      forwardableRawHeaderList(raw('Connection', 'close, x-secret', 'X-Secret', '1'), undefined, 'x-request-id'),
    ).toBeUndefined();
  });

  it("applies policies' header edits and leaves out the header the gateway sets itself", () => {
    const edits: HeaderEdit[] = [];
    recordHeaderEdit(edits, 'x-powered-by', true, undefined);
    recordHeaderEdit(edits, 'ratelimit-remaining', true, '9');
    recordHeaderEdit(edits, 'vary', false, 'origin');
    recordHeaderEdit(edits, 'ratelimit-remaining', true, '8');
    const list = forwardableRawHeaderList(
      raw('X-Powered-By', 'Express', 'Vary', 'accept', 'RateLimit-Remaining', '100', 'X-Request-Id', 'upstream-id'),
      edits,
      'x-request-id',
    );
    expect(list).toEqual(['vary', 'accept', 'ratelimit-remaining', '8', 'vary', 'origin']);
  });

  it('appends to an edit made before (one value, then a list) and ends with the own header and Connection: close', () => {
    const edits: HeaderEdit[] = [];
    recordHeaderEdit(edits, 'vary', false, 'origin');
    recordHeaderEdit(edits, 'vary', false, ['accept-encoding', 'x-tenant']);
    recordHeaderEdit(edits, 'x-removed', true, []);
    recordHeaderEdit(edits, 'x-listed', true, ['a', 'b']);
    const list = forwardableRawHeaderList(
      raw('Vary', 'accept', 'X-Removed', '1', 'X-Request-Id', 'upstream-id'),
      edits,
      'x-request-id',
      'gateway-id',
      true,
    );
    expect(list).toEqual([
      'vary',
      'accept',
      'vary',
      'origin',
      'vary',
      'accept-encoding',
      'vary',
      'x-tenant',
      'x-listed',
      'a',
      'x-listed',
      'b',
      'x-request-id',
      'gateway-id',
      'connection',
      'close',
    ]);
  });
});

describe('forwardableHeadersFromRaw', () => {
  it('builds the object in one pass: repeated names as arrays, hop-by-hop dropped, prototype names safe', () => {
    const headers = forwardableHeadersFromRaw(
      raw('Set-Cookie', 'a=1', 'Keep-Alive', 'timeout=5', 'Set-Cookie', 'b=2', 'Constructor', 'x', 'X-One', '1'),
    );
    expect(headers).toEqual({ 'set-cookie': ['a=1', 'b=2'], constructor: 'x', 'x-one': '1' });
    expect(forwardableHeadersFromRaw(raw('Connection', 'x-secret', 'X-Secret', '1'))).toBeUndefined();
  });
});

describe('nextTraceparent', () => {
  it("continues the caller's trace with a new span and starts a new one otherwise", () => {
    const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const next = nextTraceparent(incoming, undefined);
    expect(next.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(next.header).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(next.header).not.toContain('b7ad6b7169203331');
    const fresh = nextTraceparent('garbage', 'ab'.repeat(16), 'cd'.repeat(8));
    expect(fresh).toEqual({ header: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-00`, traceId: 'ab'.repeat(16) });
  });
});
