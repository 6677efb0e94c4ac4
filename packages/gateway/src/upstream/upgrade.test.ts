import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Upstream as UpstreamConfig } from '@gatehouse/config';
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
    const upgraded = await upstream.send({
      method: 'GET',
      path: '/chat?room=1',
      // connection/upgrade are hop-by-hop (the gateway strips them); undici sets its own from `upgrade`.
      headers: { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      body: null,
      upgrade: 'websocket',
    });
    expect(upgraded.statusCode).toBe(101);
    const socket = upgraded.socket!;
    expect(upgraded.headers['x-echo']).toBe('yes');
    expect(echo.seen[0]).toMatchObject({
      url: '/ws/chat?room=1',
      headers: { upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    const reply = new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(String(chunk))));
    socket.write('hello over the tunnel');
    expect(await reply).toBe('hello over the tunnel');
    socket.destroy();
  });

  it('hands back the ordinary response of a target that declines the upgrade, and counts no failure', async () => {
    const plain = createServer((_req, res) => {
      res.statusCode = 426;
      res.end('websocket not here');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => plain.close(() => resolve())));
    // Answered the way a plain API answers: no 'upgrade' listener, an ordinary response.
    plain.on('upgrade', (_req, socket: Socket) =>
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\nConnection: close\r\n\r\ndeclined'),
    );
    const upstream = make({
      targets: [{ url: `http://127.0.0.1:${(plain.address() as AddressInfo).port}` }],
      healthCheck: { passive: { failures: 1 } },
    } as UpstreamConfig);
    for (let i = 0; i < 3; i++) {
      const answer = await upstream.send({ method: 'GET', path: '/', headers: {}, body: null, upgrade: 'websocket' });
      expect(answer.statusCode).toBe(403);
      expect(answer.socket).toBeUndefined();
      answer.body.resume();
    }
    expect(upstream.state().targets[0]!.healthy).toBe(true);
  });
});
