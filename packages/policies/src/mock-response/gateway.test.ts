// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('mock-response through the gateway', () => {
  const { gw, upstream } = useTestGateway((upstream) =>
    simpleDocument(upstream.url, {
      routes: [
        {
          path: '/ping',
          methods: ['GET'],
          policies: [
            {
              policy: 'mock-response',
              config: {
                status: 200,
                headers: { 'content-type': 'application/json' },
                body: '{"pong":true,"path":"${request.path}"}',
              },
            },
          ],
        },
        { path: '/*' },
      ],
    }),
  );

  it('answers at the gateway without calling the upstream', async () => {
    const res = await gw.fetch('/test/ping');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ pong: true, path: '/ping' });
    expect(upstream.requests).toHaveLength(0);
    // Other routes still reach the upstream.
    expect((await gw.fetch('/test/other')).status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
  });
});
