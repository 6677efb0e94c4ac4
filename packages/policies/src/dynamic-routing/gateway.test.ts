// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('dynamic-routing through the gateway', () => {
  let main: TestUpstream;
  let eu: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    main = await startTestUpstream();
    eu = await startTestUpstream();
    gw = await startTestGateway(
      simpleDocument(main.url, {
        policies: [
          {
            policy: 'dynamic-routing',
            config: {
              rules: [{ when: 'request.headers["x-region"] == "eu"', url: `http://127.0.0.1:\${"${eu.port}"}/eu` }],
              allowedHosts: ['127.0.0.1'],
            },
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([main?.close(), eu?.close()]);
  });

  it('sends matching requests to the rendered target, with path and query appended', async () => {
    const res = await gw.fetch('/test/orders?id=1', { headers: { 'x-region': 'eu' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { url: string }).url).toBe('/eu/orders?id=1');
    expect(eu.requests).toHaveLength(1);
    expect(main.requests).toHaveLength(0);
  });

  it('leaves other requests on the API upstream', async () => {
    await gw.fetch('/test/orders', { headers: { 'x-region': 'us' } });
    expect(main.requests.map((r) => r.url)).toEqual(['/orders']);
  });
});
