import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('timeout through the gateway', () => {
  const { gw } = useTestGateway(
    (upstream) =>
      simpleDocument(upstream.url, {
        // No upstream retries: a timed-out attempt would otherwise be tried again.
        upstream: { targets: [{ url: upstream.url }], retries: { attempts: 0 } },
        routes: [
          { path: '/fast/*', policies: [{ policy: 'timeout', config: { response: '100ms' } }] },
          { path: '/slow/*' },
        ],
      }),
    {
      upstream: (_req, res) => {
        setTimeout(() => {
          res.writeHead(200, { 'content-length': 2 });
          res.end('ok');
        }, 1500);
      },
    },
  );

  it("answers 504 once the route's timeout passes", async () => {
    const started = performance.now();
    const res = await gw.fetch('/test/fast/report');
    expect(res.status).toBe(504);
    expect(((await res.json()) as { code: string }).code).toBe('upstream_timeout');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('keeps the upstream timeout on other routes', async () => {
    const res = await gw.fetch('/test/slow/report');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
  });
});
