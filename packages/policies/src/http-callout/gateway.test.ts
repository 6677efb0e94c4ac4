// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('http-callout through the gateway', () => {
  let upstream: TestUpstream;
  let users: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await startTestUpstream();
    users = await startTestUpstream((req, res) => {
      if (req.url === '/users/down') {
        res.writeHead(500);
        res.end();
        return;
      }
      const text = JSON.stringify({ id: req.url!.split('/').pop(), tier: 'gold' });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
    gw = await startTestGateway(
      simpleDocument(upstream.url, {
        policies: [
          {
            policy: 'http-callout',
            config: { url: `${users.url}/users/\${request.headers["x-user"]}`, attribute: 'user', failOnError: true },
          },
          // A later policy reads the stored answer.
          {
            policy: 'return-response',
            when: 'attributes.user.body.tier == "gold"',
            config: {
              status: 200,
              headers: { 'content-type': 'text/plain' },
              body: 'user ${attributes.user.body.id} is ${attributes.user.body.tier}',
            },
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([upstream?.close(), users?.close()]);
  });

  it('stores the answer in an attribute that later policies use', async () => {
    const res = await gw.fetch('/test/anything', { headers: { 'x-user': 'u-42' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('user u-42 is gold');
    expect(users.requests.at(-1)!.url).toBe('/users/u-42');
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers 502 upstream_unavailable when the call fails and failOnError is set', async () => {
    const res = await gw.fetch('/test/anything', { headers: { 'x-user': 'down' } });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { code: string }).code).toBe('upstream_unavailable');
    expect(upstream.requests).toHaveLength(0);
  });
});
