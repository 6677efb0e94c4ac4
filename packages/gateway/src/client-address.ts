/**
 * Who the client is. Behind a load balancer the connecting peer is the balancer, and the client is in
 * X-Forwarded-For; but anyone can send that header, so it is believed only from trusted peers:
 * `trustProxy: false` believes nobody, a list of addresses/CIDR ranges believes peers in it (and walks the
 * header right to left past every trusted hop, as nginx's real_ip_recursive does), `true` believes any peer.
 */

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { type AddressMatcher, compileAddresses } from '@gatehouse/policies';
import type { ClientRequest } from './context.js';

/** Compiled `gateway.trustProxy`. */
export type ProxyTrust = boolean | AddressMatcher;

/** Entries that are not an address or range are reported with their path; the rest still compile. */
export function compileProxyTrust(
  setting: boolean | readonly string[] | undefined,
  problems: Array<{ path: string; message: string }>,
): ProxyTrust {
  if (setting === undefined || typeof setting === 'boolean') return setting ?? false;
  const valid = setting.filter((entry, index) => {
    const path = `gateway.trustProxy[${index}]`;
    try {
      compileAddresses([entry], path);
      return true;
    } catch (error) {
      problems.push({ path, message: (error as Error).message.slice(path.length + 2) });
      return false;
    }
  });
  return compileAddresses(valid, 'gateway.trustProxy');
}

/** The connection's address, normalized (IPv4-mapped IPv6 as IPv4), kept on the socket. */
const PEER_ADDRESS = Symbol('gatehouse.peerAddress');

export function peerAddress(req: ClientRequest | IncomingMessage): string {
  const socket = req.socket as (ClientRequest['socket'] & { [PEER_ADDRESS]?: string }) | null;
  if (socket === null) return '';
  // Once per connection: the getter chain behind remoteAddress showed in profiles. HTTP/2's socket is a
  // proxy shared by the session's streams, so it is not tagged.
  let address = req.httpVersionMajor === 1 ? socket[PEER_ADDRESS] : undefined;
  if (address === undefined) {
    const remote = socket.remoteAddress ?? '';
    address = remote.startsWith('::ffff:') ? remote.slice(7) : remote;
    if (req.httpVersionMajor === 1) socket[PEER_ADDRESS] = address;
  }
  return address;
}

/** Whether this peer's X-Forwarded-* headers are believed. */
export function peerTrusted(trust: ProxyTrust, peer: string): boolean {
  return trust === true || (trust !== false && trust.matches(peer));
}

/** The client's address for a request from a trusted peer; the peer itself when the header has none. */
export function forwardedClient(req: ClientRequest | IncomingMessage, trust: ProxyTrust, peer: string): string {
  const header = req.headers['x-forwarded-for'];
  if (header === undefined) return peer;
  const hops = (Array.isArray(header) ? header.join(',') : header).split(',');
  if (trust === true) return hops[0]!.trim() || peer;
  if (trust === false) return peer;
  // Right to left: the first hop a trusted proxy did not add itself is the client. A malformed entry stops the
  // walk at the last trusted hop, which is then taken as the client (never the client-written text).
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!.trim();
    if (isIP(hop) === 0) return client;
    client = hop.startsWith('::ffff:') ? hop.slice(7) : hop;
    if (!trust.matches(client)) return client;
  }
  return client;
}

export function clientAddress(req: ClientRequest | IncomingMessage, trust: ProxyTrust): string {
  const peer = peerAddress(req);
  return peerTrusted(trust, peer) ? forwardedClient(req, trust, peer) : peer;
}
