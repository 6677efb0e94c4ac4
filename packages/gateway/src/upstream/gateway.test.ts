import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../testing/harness.js';
import { refusedUrl, startServer, type TestServer } from './test-support/servers.js';

let gateway: TestGateway | undefined;
let servers: TestServer[] = [];
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  for (const server of servers) await server.close();
  servers = [];
});

const api = (upstream: Record<string, unknown>) => ({
  version: 1,
  apis: [
    {
      id: 'items',
      name: 'Items',
      basePath: '/items',
      upstream,
      plans: [{ id: 'open', security: { type: 'keyless' } }],
    },
  ],
});

describe('upstream resilience through the real gateway', () => {
  it('retries a GET on the next target when one refuses connections', async () => {
    const healthy = await startServer((req, res) => {
      res.end(`healthy:${req.url}`);
    });
    servers.push(healthy);
    gateway = await startTestGateway(api({ targets: [{ url: await refusedUrl() }, { url: `${healthy.url}/v2` }] }));
    for (let i = 0; i < 4; i++) {
      const response = await gateway.fetch('/items/42?full=1');
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('healthy:/v2/42?full=1');
    }
  });

  it('opens the circuit: 503 circuit_open problem with Retry-After, the upstream is not called', async () => {
    const failing = await startServer((_req, res) => {
      res.statusCode = 500;
      res.end('boom');
    });
    servers.push(failing);
    gateway = await startTestGateway(
      api({
        targets: [{ url: failing.url }],
        retries: { attempts: 0, onStatus: [500] },
        healthCheck: { passive: { enabled: false } },
        circuitBreaker: { failureThreshold: 2, openDuration: '30s' },
      }),
    );
    for (let i = 0; i < 2; i++) expect((await gateway.fetch('/items/x')).status).toBe(500);
    const refused = await gateway.fetch('/items/x');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(((await refused.json()) as { code: string }).code).toBe('circuit_open');
    expect(failing.requests).toHaveLength(2);
  });
});
