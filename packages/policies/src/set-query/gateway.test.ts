// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('set-query through the gateway', () => {
  const { gw } = useTestGateway((upstream) =>
    simpleDocument(upstream.url, {
      policies: [
        { policy: 'set-attribute', config: { values: { source: 'edge gw' } } },
        {
          policy: 'set-query',
          config: { remove: ['secret'], set: { page: '1' }, add: { from: '${ attributes.source }' } },
        },
      ],
    }),
  );

  it('rewrites the forwarded query string', async () => {
    const res = await gw.fetch('/test/items?q=a%20b&secret=x&page=7');
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { url: string };
    expect(echoed.url).toBe('/items?q=a%20b&page=1&from=edge%20gw');
  });
});
