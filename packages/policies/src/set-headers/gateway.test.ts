// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { simpleDocument, startTestGateway, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('set-headers through the gateway', () => {
  const { gw } = useTestGateway((upstream) =>
    simpleDocument(upstream.url, {
      policies: [
        {
          policy: 'set-headers',
          config: {
            request: { set: { 'x-gateway': 'gatehouse', 'x-method': '${request.method}' }, remove: ['x-internal'] },
            response: {
              remove: ['x-powered-by'],
              set: { 'cache-control': 'no-store' },
              add: { 'x-served-by': 'gatehouse' },
            },
          },
        },
      ],
    }),
  );

  it('changes the headers the upstream receives and the headers the client receives', async () => {
    const res = await gw.fetch('/test/a', { method: 'POST', body: '{}', headers: { 'x-internal': 'leak' } });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { headers: Record<string, string> };
    expect(echoed.headers['x-gateway']).toBe('gatehouse');
    expect(echoed.headers['x-method']).toBe('POST');
    expect(echoed.headers['x-internal']).toBeUndefined();
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-served-by')).toBe('gatehouse');
  });

  it('also applies response changes to gateway answers (a 502 from a dead upstream)', async () => {
    const inApi = await startTestGateway(
      simpleDocument('http://127.0.0.1:1', {
        upstream: { targets: [{ url: 'http://127.0.0.1:1' }], retries: { attempts: 0 } },
        policies: [{ policy: 'set-headers', config: { response: { set: { 'x-served-by': 'gatehouse' } } } }],
      }),
    );
    try {
      const failed = await inApi.fetch('/test/a');
      expect(failed.status).toBe(502);
      expect(failed.headers.get('x-served-by')).toBe('gatehouse');
    } finally {
      await inApi.close();
    }
  });
});
