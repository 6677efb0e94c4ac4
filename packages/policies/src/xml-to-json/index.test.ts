import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { createTestContext } from '../testing/context.js';
import { createPolicy } from '../testing/index.js';
import { xmlToJsonPolicy } from './index.js';

const xml = { 'content-type': 'text/xml; charset=utf-8' };

async function failure(promise: unknown): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

async function convert(config: unknown, body: string): Promise<unknown> {
  const policy = createPolicy(xmlToJsonPolicy, config);
  const ctx = createTestContext({ method: 'POST', headers: xml, body });
  await policy.request!(ctx);
  expect(ctx.request.headers['content-type']).toBe('application/json');
  return JSON.parse(ctx.forwardedBody()!.toString());
}

describe('xml-to-json', () => {
  it('refuses a document nested deeper than maxBodyDepth with 400, before parsing it', async () => {
    const policy = createPolicy(xmlToJsonPolicy, {});
    const deep = `${'<a>'.repeat(20_000)}${'</a>'.repeat(20_000)}`;
    const error = await failure(policy.request!(createTestContext({ method: 'POST', headers: xml, body: deep })));
    expect([error.code, error.detail]).toEqual(['bad_request', 'The request body nests deeper than 100 levels.']);
    expect(await convert({ maxBodyDepth: 2 }, '<a><b>1</b></a>')).toEqual({ a: { b: '1' } });
  });

  it('converts elements, attributes, text and repeated elements; values stay strings by default', async () => {
    const body =
      '<?xml version="1.0"?><order id="7"><zip>01234</zip><line>a</line><line>b</line><price currency="EUR">10</price><empty/></order>';
    expect(await convert({}, body)).toEqual({
      order: { '@id': '7', zip: '01234', line: ['a', 'b'], price: { '@currency': 'EUR', '#text': '10' }, empty: '' },
    });
  });

  it('can type values, force arrays, drop attributes and namespace prefixes', async () => {
    const body =
      '<s:Envelope xmlns:s="urn:x"><s:Body><count>3</count><ok>true</ok><item id="1">x</item></s:Body></s:Envelope>';
    expect(
      await convert(
        { typedValues: true, arrayElements: ['item'], attributes: false, removeNamespacePrefixes: true },
        body,
      ),
    ).toEqual({ Envelope: { Body: { count: 3, ok: true, item: ['x'] } } });
  });

  it('keeps reserved JavaScript names without polluting prototypes', async () => {
    expect(
      await convert({}, '<a><constructor>1</constructor><__proto__><polluted>1</polluted></__proto__></a>'),
    ).toEqual({
      a: { __constructor: '1', ____proto__: { polluted: '1' } },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers 400 with the position for malformed request XML', async () => {
    const policy = createPolicy(xmlToJsonPolicy, {});
    const error = await failure(policy.request!(createTestContext({ headers: xml, body: '<a>\n<b></a>' })));
    expect(error.code).toBe('bad_request');
    expect(error.detail).toMatch(/line 2/);
  });

  it('converts responses and answers 502 for malformed upstream XML', async () => {
    const policy = createPolicy(xmlToJsonPolicy, { phase: 'response' });
    const ctx = createTestContext({
      response: { headers: { 'content-type': 'application/soap+xml', etag: '"1"' }, body: '<r>1</r>' },
    });
    await policy.response!(ctx);
    expect(JSON.parse((await ctx.response.readBody()).toString())).toEqual({ r: '1' });
    expect(ctx.response.headers.etag).toBeUndefined();

    const broken = createTestContext({ response: { headers: xml, body: 'not xml' } });
    expect((await failure(policy.response!(broken))).code).toBe('upstream_bad_response');
  });

  it('leaves non-XML bodies alone', async () => {
    const policy = createPolicy(xmlToJsonPolicy, {});
    const ctx = createTestContext({ headers: { 'content-type': 'application/json' }, body: '<a/>' });
    await policy.request!(ctx);
    expect(ctx.forwardedBody()!.toString()).toBe('<a/>');
  });
});
