// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('set-body through the gateway', () => {
  const { gw } = useTestGateway((upstream) =>
    simpleDocument(upstream.url, {
      routes: [
        {
          path: '/request',
          policies: [
            {
              policy: 'set-body',
              config: { body: '{"path": ${ request.path }, "agent": ${ request.headers["x-agent"] }}' },
            },
          ],
        },
        {
          path: '/response',
          policies: [
            {
              policy: 'set-body',
              config: {
                phase: 'response',
                body: 'status was ${ response.status }',
                encoding: 'raw',
                contentType: 'text/plain',
              },
            },
          ],
        },
      ],
    }),
  );

  it('replaces the request body forwarded upstream, with a correct Content-Length', async () => {
    const res = await gw.fetch('/test/request', {
      method: 'POST',
      headers: { 'x-agent': 'a"b', 'content-type': 'text/plain' },
      body: 'original',
    });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { body: string; headers: Record<string, string> };
    expect(JSON.parse(echoed.body)).toEqual({ path: '/request', agent: 'a"b' });
    expect(echoed.headers['content-type']).toBe('application/json');
    expect(echoed.headers['content-length']).toBe(String(Buffer.byteLength(echoed.body)));
  });

  it('replaces the response body sent to the client', async () => {
    const res = await gw.fetch('/test/response');
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('status was 200');
  });
});
