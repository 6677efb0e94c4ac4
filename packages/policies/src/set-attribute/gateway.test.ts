// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('set-attribute through the gateway', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await startTestUpstream();
    gw = await startTestGateway(
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
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

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
