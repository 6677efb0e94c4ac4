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
      // /fast never answers (closing the gateway's upstream ends it): only the route's timeout can
      // produce the 504. /slow answers after three times that timeout, which must not apply there.
      upstream: (req, res) => {
        if (req.url?.startsWith('/fast/')) return;
        setTimeout(() => {
          res.writeHead(200, { 'content-length': 2 });
          res.end('ok');
        }, 300);
      },
    },
  );

  it("answers 504 once the route's timeout passes", async () => {
    const res = await gw.fetch('/test/fast/report');
    expect(res.status).toBe(504);
    expect(((await res.json()) as { code: string }).code).toBe('upstream_timeout');
  });

  it('keeps the upstream timeout on other routes', async () => {
    const res = await gw.fetch('/test/slow/report');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
  });
});
