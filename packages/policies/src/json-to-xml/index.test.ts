import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { createTestContext } from '../testing/context.js';
import { createPolicy, testPolicyEnv } from '../testing/index.js';
import { jsonToXmlPolicy } from './index.js';
import { createXmlWriter } from './to-xml.js';

const json = { 'content-type': 'application/json; charset=utf-8' };

async function failure(promise: unknown): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

describe('json-to-xml', () => {
  it('converts the request body, with attributes, repeated elements and escaping', async () => {
    const policy = createPolicy(jsonToXmlPolicy, { rootElement: 'order' });
    const ctx = createTestContext({
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        '@id': 7,
        customer: 'Ann & <Bob>',
        lines: [{ sku: 'a' }, { sku: 'b' }],
        note: null,
        paid: true,
      }),
    });
    await policy.request!(ctx);
    expect(ctx.forwardedBody()!.toString()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><order id="7"><customer>Ann &amp; &lt;Bob&gt;</customer><lines><sku>a</sku></lines><lines><sku>b</sku></lines><note/><paid>true</paid></order>',
    );
    expect(ctx.request.headers['content-type']).toBe('application/xml');
    expect(ctx.request.headers['content-length']).toBe(String(ctx.forwardedBody()!.length));
  });

  it('converts the response body and answers 502 when the upstream JSON is broken', async () => {
    const policy = createPolicy(jsonToXmlPolicy, { phase: 'response', declaration: false });
    const ctx = createTestContext({
      response: { headers: { 'content-type': 'application/problem+json' }, body: '{"title":"x"}' },
    });
    await policy.response!(ctx);
    expect((await ctx.response.readBody()).toString()).toBe('<root><title>x</title></root>');

    const broken = createTestContext({ response: { headers: json, body: '{"title":' } });
    const error = await failure(policy.response!(broken));
    expect(error.code).toBe('upstream_bad_response');
    expect(error.status).toBe(502);
  });

  it('answers 400 on an unparsable request and 413 beyond maxBodySize', async () => {
    const policy = createPolicy(jsonToXmlPolicy, { maxBodySize: '16' });
    expect((await failure(policy.request!(createTestContext({ headers: json, body: '{oops' })))).code).toBe(
      'bad_request',
    );
    const large = createTestContext({ headers: json, body: JSON.stringify({ text: 'x'.repeat(100) }) });
    expect((await failure(policy.request!(large))).code).toBe('payload_too_large');
  });

  it('refuses a body nested deeper than maxBodyDepth with 400 (502 from the upstream), before parsing it', async () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const request = createPolicy(jsonToXmlPolicy, {});
    const error = await failure(request.request!(createTestContext({ headers: json, body: deep })));
    expect([error.code, error.detail]).toEqual(['bad_request', 'The request body nests deeper than 100 levels.']);
    const response = createPolicy(jsonToXmlPolicy, { phase: 'response' });
    const upstream = createTestContext({ response: { headers: json, body: deep } });
    expect((await failure(response.response!(upstream))).code).toBe('upstream_bad_response');
    const shallow = createTestContext({ headers: json, body: '{"a":{"b":[1]}}' });
    await createPolicy(jsonToXmlPolicy, { maxBodyDepth: 3 }).request!(shallow);
    expect(shallow.forwardedBody()!.toString()).toContain('<b>1</b>');
  });

  it('caps maxBodySize at the gateway maxBodyBuffer', async () => {
    const policy = createPolicy(jsonToXmlPolicy, { maxBodySize: '1mb' }, testPolicyEnv({ maxBodyBuffer: 10 }));
    const ctx = createTestContext({ headers: json, body: '{"a":"0123456789"}' });
    expect((await failure(policy.request!(ctx))).code).toBe('payload_too_large');
  });

  it('leaves non-JSON and empty bodies alone', async () => {
    const policy = createPolicy(jsonToXmlPolicy, {});
    for (const init of [{ headers: { 'content-type': 'text/plain' }, body: '{"a":1}' }, { headers: json }]) {
      const ctx = createTestContext(init);
      await policy.request!(ctx);
      expect(ctx.forwardedBody()?.toString()).toBe(init.body);
      expect(ctx.request.headers['content-type']).toBe(init.headers['content-type']);
    }
  });
});

describe('XML writer', () => {
  const write = (value: unknown, options: Partial<Parameters<typeof createXmlWriter>[0]> = {}) =>
    createXmlWriter({
      rootElement: 'root',
      attributePrefix: '@',
      textKey: '#text',
      arrayItemElement: 'item',
      declaration: false,
      ...options,
    })(value);

  it('makes invalid member names safe', () => {
    expect(write({ 'a b': 1, '1st': 2, '<x>': 3 })).toBe('<root><a_b>1</a_b><_1st>2</_1st><_x_>3</_x_></root>');
  });

  it('wraps arrays and scalars', () => {
    expect(write([1, [2, 3]])).toBe('<root><item>1</item><item><item>2</item><item>3</item></item></root>');
    expect(write('hi')).toBe('<root>hi</root>');
  });

  it('uses the single top-level member as root when rootElement is empty', () => {
    expect(write({ order: { id: 1 } }, { rootElement: '' })).toBe('<order><id>1</id></order>');
    expect(write({ a: 1, b: 2 }, { rootElement: '' })).toBe('<root><a>1</a><b>2</b></root>');
  });

  it('writes text next to attributes, and treats prefixed members as elements when attributes are off', () => {
    expect(write({ price: { '@currency': 'EUR', '#text': 10 } })).toBe('<root><price currency="EUR">10</price></root>');
    expect(write({ '@id': 1 }, { attributePrefix: '' })).toBe('<root><_id>1</_id></root>');
  });
});
