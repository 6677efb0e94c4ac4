import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Upstream as UpstreamConfig } from '@gatehouse/config';
import { GatewayError } from '@gatehouse/core';
import { afterEach, describe, expect, it } from 'vitest';
import { PoolManager } from './pool-manager.js';
import { Upstream } from './upstream.js';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** A tiny WebSocket-style upstream: answers the upgrade with 101 and echoes raw bytes back. */
async function echoUpgradeServer() {
  const seen: Array<{ url: string; headers: Record<string, unknown> }> = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.statusCode = 426;
    res.end();
  });
  server.on('upgrade', (req, socket: Socket) => {
    sockets.add(socket);
    seen.push({ url: req.url!, headers: req.headers });
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Echo: yes\r\n\r\n',
    );
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { url, seen };
}

function make(config: UpstreamConfig) {
  const pools = new PoolManager();
  const upstream = new Upstream('api', config, pools);
  cleanup.push(async () => {
    await upstream.close();
    await pools.close();
  });
  return upstream;
}

describe('Upstream.upgrade', () => {
  it('opens an upgraded connection to the target and relays bytes both ways', async () => {
    const echo = await echoUpgradeServer();
    const upstream = make({ targets: [{ url: `${echo.url}/ws` }] } as UpstreamConfig);
    const upgraded = await upstream.upgrade({
      method: 'GET',
      path: '/chat?room=1',
      // connection/upgrade come from the client; undici sets its own and must not get them twice.
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      body: null,
      protocol: 'websocket',
    });
    expect(upgraded.statusCode).toBe(101);
    expect(upgraded.headers['x-echo']).toBe('yes');
    expect(echo.seen[0]).toMatchObject({
      url: '/ws/chat?room=1',
      headers: { upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    const reply = new Promise<string>((resolve) =>
      upgraded.socket.once('data', (chunk: Buffer) => resolve(String(chunk))),
    );
    upgraded.socket.write('hello over the tunnel');
    expect(await reply).toBe('hello over the tunnel');
    upgraded.socket.destroy();
  });

  it('rejects with a GatewayError when the target refuses the upgrade', async () => {
    const plain = createServer((_req, res) => {
      res.statusCode = 400;
      res.end();
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => plain.close(() => resolve())));
    plain.on('upgrade', (_req, socket: Socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    const upstream = make({
      targets: [{ url: `http://127.0.0.1:${(plain.address() as AddressInfo).port}` }],
    } as UpstreamConfig);
    const error = await upstream
      .upgrade({ method: 'GET', path: '/', headers: {}, body: null, protocol: 'websocket' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(502);
    // Sanity: the server is reachable for plain requests, so the failure really was the refused upgrade.
    const status = await new Promise<number>((resolve) =>
      httpRequest(`http://127.0.0.1:${(plain.address() as AddressInfo).port}`, (res) => {
        res.resume();
        resolve(res.statusCode!);
      }).end(),
    );
    expect(status).toBe(400);
  });
});
