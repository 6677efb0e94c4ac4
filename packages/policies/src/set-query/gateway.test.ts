// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('set-query through the gateway', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await startTestUpstream();
    gw = await startTestGateway(
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
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('rewrites the forwarded query string', async () => {
    const res = await gw.fetch('/test/items?q=a%20b&secret=x&page=7');
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { url: string };
    expect(echoed.url).toBe('/items?q=a%20b&page=1&from=edge%20gw');
  });
});
