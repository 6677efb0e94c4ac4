import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('rewrite-path through the gateway', () => {
  const { gw, upstream } = useTestGateway((upstream) =>
    simpleDocument(upstream.url, {
      routes: [
        {
          path: '/users/:id',
          policies: [
            {
              policy: 'rewrite-path',
              config: {
                pattern: '^/users/(?<id>[^/]+)$',
                replacement: '/v2/accounts/{id}',
                query: 'source=gw&user={id}',
              },
            },
          ],
        },
        {
          path: '/files/*',
          policies: [{ policy: 'rewrite-path', config: { pattern: '^/files/(.*)$', replacement: '/static/{1}' } }],
        },
      ],
    }),
  );

  it('forwards the rewritten path and query', async () => {
    const res = await gw.fetch('/test/users/u-42?expand=1');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { url: string }).url).toBe('/v2/accounts/u-42?expand=1&source=gw&user=u-42');
  });

  it('rewrites wildcard routes, and encoded dot segments never climb out of the target prefix', async () => {
    const ok = await gw.fetch('/test/files/css/site.css');
    expect(((await ok.json()) as { url: string }).url).toBe('/static/css/site.css');
    const before = upstream.requests.length;
    // The gateway resolves dot segments before routing (404 here); the policy refuses any left (400).
    const res = await gw.fetch('/test/files/%2e%2e/secret');
    expect([400, 404]).toContain(res.status);
    expect(upstream.requests.length).toBe(before);
  });
});
