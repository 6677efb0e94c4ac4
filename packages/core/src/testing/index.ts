import { type AddressInfo, createServer, type Server } from 'node:net';

/**
 * Service availability for tests that need PostgreSQL or Redis: on a laptop without the service they
 * skip with a one-line reason; under CI=true a missing service is a failure, never a skip.
 */
export function serviceUrl(name: 'REDIS_URL' | 'DATABASE_URL'): {
  url: string | undefined;
  skipReason: string | undefined;
} {
  const url = process.env[name];
  if (url) return { url, skipReason: undefined };
  if (process.env.CI === 'true') {
    throw new Error(`${name} is not set but CI=true: tests that need it must run in CI`);
  }
  return { url: undefined, skipReason: `${name} not set; skipping tests that need it` };
}

/**
 * `count` distinct free loopback ports for tests that start processes on them. All are held open at once: taking
 * them one by one can hand out the same port twice, as the OS may reuse a port the moment it is released.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
