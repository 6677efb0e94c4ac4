import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('json-threat-protection through the gateway', () => {
  const { gw, upstream } = useTestGateway((upstream) =>
    simpleDocument(upstream.url, {
      policies: [{ policy: 'json-threat-protection', config: { maxDepth: 4, maxArraySize: 3 } }],
    }),
  );

  const post = (body: string, contentType = 'application/json') =>
    gw.fetch('/test/orders', { method: 'POST', body, headers: { 'content-type': contentType } });

  it('forwards a body within the limits unchanged', async () => {
    const body = '{"items":[{"sku":"a"},{"sku":"b"}]}';
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { body: string }).body).toBe(body);
  });

  it('answers 400 json_threat_detected naming the limit, without reaching the upstream', async () => {
    const res = await post('{"items":[1,2,3,4]}');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({
      code: 'json_threat_detected',
      limit: 'maxArraySize',
      errors: [{ path: 'body.items' }],
    });
    const deep = await post('[[[[[1]]]]]');
    expect(await deep.json()).toMatchObject({ code: 'json_threat_detected', limit: 'maxDepth' });
    expect(upstream.requests).toHaveLength(1);
  });

  it('answers 400 bad_request for malformed JSON and ignores other media types', async () => {
    expect(((await (await post('{"a":')).json()) as { code: string }).code).toBe('bad_request');
    expect((await post('[[[[[1]]]]]', 'text/plain')).status).toBe(200);
  });
});
