import type { IncomingMessage } from 'node:http';
import { compileAddresses } from '@gatehouse/policies';
import { describe, expect, it } from 'vitest';
import { clientAddress, compileProxyTrust } from './client-address.js';

function request(peer: string, forwardedFor?: string | string[]): IncomingMessage {
  return {
    httpVersionMajor: 1,
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  } as unknown as IncomingMessage;
}

describe('clientAddress', () => {
  const balancers = compileAddresses(['10.0.0.0/8', '::1'], 'test');

  it('believes nobody by default: the client is the peer, IPv4-mapped addresses shown as IPv4', () => {
    expect(clientAddress(request('::ffff:192.0.2.1', '203.0.113.9'), false)).toBe('192.0.2.1');
  });

  it('with a list, believes only listed peers and walks the chain right to left past trusted hops', () => {
    expect(clientAddress(request('10.1.2.3', '203.0.113.9, 10.9.9.9'), balancers)).toBe('203.0.113.9');
    expect(clientAddress(request('10.1.2.3', ['198.51.100.1, 203.0.113.9', '10.9.9.9']), balancers)).toBe(
      '203.0.113.9',
    );
    // A client-written left-most entry never wins over the hop the trusted proxy saw.
    expect(clientAddress(request('10.1.2.3', 'spoofed-by-client, 203.0.113.9'), balancers)).toBe('203.0.113.9');
    // An untrusted peer's header is ignored.
    expect(clientAddress(request('192.0.2.50', '203.0.113.9'), balancers)).toBe('192.0.2.50');
    // Garbage next to the trusted proxy: the walk stops at the last trusted hop.
    expect(clientAddress(request('10.1.2.3', 'not-an-ip'), balancers)).toBe('10.1.2.3');
    // Every hop trusted: the left-most one.
    expect(clientAddress(request('::1', '10.0.0.7, 10.0.0.8'), balancers)).toBe('10.0.0.7');
    expect(clientAddress(request('10.1.2.3'), balancers)).toBe('10.1.2.3');
  });

  it('with true, believes any peer and takes the left-most address', () => {
    expect(clientAddress(request('192.0.2.50', '203.0.113.9, 10.0.0.1'), true)).toBe('203.0.113.9');
    expect(clientAddress(request('192.0.2.50', ''), true)).toBe('192.0.2.50');
  });
});

describe('compileProxyTrust', () => {
  it('reports each bad entry with its path', () => {
    const problems: Array<{ path: string; message: string }> = [];
    compileProxyTrust(['10.0.0.0/8', 'nope', '10.0.0.0/40'], problems);
    expect(problems).toEqual([
      { path: 'gateway.trustProxy[1]', message: '"nope" is not an IP address or CIDR range' },
      { path: 'gateway.trustProxy[2]', message: '"10.0.0.0/40" has an invalid prefix length (0-32)' },
    ]);
    expect(compileProxyTrust(undefined, problems)).toBe(false);
  });
});
