// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('set-attribute through the gateway', () => {
  const { gw } = useTestGateway((upstream) =>
    simpleDocument(upstream.url, {
      policies: [
        {
          policy: 'set-attribute',
          config: {
            expressions: {
              agent: 'request.headers["user-agent"]',
              mobile: 'request.headers["user-agent"].contains("Mobile")',
            },
          },
        },
        // Later policies read the attributes in conditions and templates.
        { policy: 'set-query', when: 'attributes.mobile', config: { set: { agent: '${ attributes.agent }' } } },
      ],
    }),
  );

  it('sets attributes that later conditions and templates read', async () => {
    const mobile = (await (await gw.fetch('/test/x', { headers: { 'user-agent': 'Phone Mobile' } })).json()) as {
      url: string;
    };
    expect(mobile.url).toBe('/x?agent=Phone%20Mobile');
    const desktop = (await (await gw.fetch('/test/x', { headers: { 'user-agent': 'Desktop' } })).json()) as {
      url: string;
    };
    expect(desktop.url).toBe('/x');
  });
});
