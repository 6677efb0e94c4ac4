// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('return-response through the gateway', () => {
  const { gw, upstream } = useTestGateway((upstream) =>
    simpleDocument(upstream.url, {
      routes: [
        {
          path: '/hello/:name',
          methods: ['GET'],
          policies: [
            {
              policy: 'return-response',
              config: {
                status: 202,
                headers: { 'content-type': 'application/json', 'x-route': '${context.params.name}' },
                body: '{"hello":"${context.params.name}","q":"${request.query.q}"}',
              },
            },
          ],
        },
        { path: '/*' },
      ],
    }),
  );

  it('answers at the gateway with the rendered template', async () => {
    const res = await gw.fetch('/test/hello/ada?q=hi');
    expect(res.status).toBe(202);
    expect(res.headers.get('x-route')).toBe('ada');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ hello: 'ada', q: 'hi' });
    expect(upstream.requests).toHaveLength(0);
  });

  it('leaves other routes to the upstream', async () => {
    expect((await gw.fetch('/test/other')).status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
  });
});
