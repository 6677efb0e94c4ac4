/**
 * The WebSocket (upgrade) tunnel: once the upstream accepted the upgrade, its 101 is relayed and the two
 * connections are joined byte for byte. Routing, security and request policies ran before, like for any request.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { UpstreamResponse } from './upstream/index.js';

/** The client side of an upgrade request, as node:http hands it over. */
export interface UpgradeInfo {
  socket: Duplex;
  head: Buffer;
  established?: () => void;
}

/**
 * Relays the upstream's 101 (with our request id) and pipes the connections into each other; either side closing
 * or failing closes the other. `tunnels` holds the client socket while it lasts (closed at shutdown).
 * False when the client was already gone (the upstream connection is closed then).
 */
export function openTunnel(
  answer: UpstreamResponse,
  upstream: Socket,
  upgrade: UpgradeInfo,
  requestId: string,
  tunnels: Set<Duplex>,
): boolean {
  const client = upgrade.socket;
  if (client.destroyed) {
    upstream.destroy();
    return false;
  }
  let head = 'HTTP/1.1 101 Switching Protocols\r\n';
  const headers = answer.headers;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name === 'x-request-id') continue;
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
  }
  head += `x-request-id: ${requestId}\r\n\r\n`;
  client.write(head);
  if (upgrade.head.length > 0) upstream.write(upgrade.head);
  tunnels.add(client);
  upgrade.established?.();
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('close', () => {
    tunnels.delete(client);
    upstream.destroy();
  });
  upstream.pipe(client);
  client.pipe(upstream);
  return true;
}
