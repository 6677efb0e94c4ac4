import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { createAtPath, validatePolicyConfig } from '../sdk/define.js';
import type { PolicyEnvironment, PolicyHandlers } from '../sdk/types.js';
import { createTestContext, type TestContextInit } from '../testing/context.js';
import { jsonThreatProtectionPolicy, mediaTypeMatcher } from './index.js';
import type { JsonThreatProtectionConfig } from './schema.js';

function policy(config: Record<string, unknown> = {}, maxBodyBuffer = 10 * 1024 * 1024): PolicyHandlers {
  const valid = validatePolicyConfig<JsonThreatProtectionConfig>(
    jsonThreatProtectionPolicy,
    config,
    'policies[0].config',
  );
  return createAtPath('policies[0].config', () =>
    jsonThreatProtectionPolicy.create(valid, { maxBodyBuffer } as PolicyEnvironment),
  );
}

async function run(
  handlers: PolicyHandlers,
  body: string,
  init: TestContextInit = {},
): Promise<GatewayError | undefined> {
  const ctx = createTestContext({
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...init.headers },
  });
  try {
    await handlers.request!(ctx);
    expect(ctx.forwardedBody()?.toString()).toBe(body);
    return undefined;
  } catch (error) {
    return error as GatewayError;
  }
}

describe('json-threat-protection', () => {
  it('lets well-formed bodies within the limits through unchanged', async () => {
    expect(await run(policy(), '{"order":{"items":[{"sku":"A-1","qty":2}],"note":"caf\u00e9"}}')).toBeUndefined();
  });

  it('answers 400 json_threat_detected naming the limit and the place', async () => {
    const error = await run(policy({ maxArraySize: 2 }), '{"order":{"items":[1,2,3]}}');
    expect(error).toBeInstanceOf(GatewayError);
    expect(error!.status).toBe(400);
    expect(error!.code).toBe('json_threat_detected');
    expect(error!.extensions).toEqual({ limit: 'maxArraySize' });
    expect(error!.errors).toEqual([{ path: 'body.order.items', message: 'array with more than 2 elements' }]);
    expect(error!.toProblem()).toMatchObject({
      code: 'json_threat_detected',
      limit: 'maxArraySize',
      detail: 'maxArraySize exceeded: array with more than 2 elements',
    });
  });

  it('enforces each structural limit', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ maxDepth: 3 }, '{"a":{"b":{"c":{}}}}', 'maxDepth'],
      [{ maxKeyLength: 4 }, '{"toolong":1}', 'maxKeyLength'],
      [{ maxStringLength: 4 }, '{"a":"toolong"}', 'maxStringLength'],
      [{ maxObjectEntries: 2 }, '{"a":1,"b":2,"c":3}', 'maxObjectEntries'],
    ];
    for (const [config, body, limit] of cases) {
      expect((await run(policy(config), body))?.extensions).toEqual({ limit });
    }
  });

  it('enforces maxSize from Content-Length before reading, and from the body itself', async () => {
    const body = JSON.stringify({ data: 'x'.repeat(2000) });
    const declared = await run(policy({ maxSize: '1kb' }), body);
    expect([declared?.code, declared?.extensions]).toEqual(['json_threat_detected', { limit: 'maxSize' }]);
    const chunked = await run(policy({ maxSize: '1kb' }), body, {
      headers: { 'content-length': undefined, 'transfer-encoding': 'chunked' },
    });
    expect(chunked?.extensions).toEqual({ limit: 'maxSize' });
    // The gateway-wide buffer limit stays a plain 413.
    const buffer = await run(policy({ maxSize: '1mb' }, 1024), body, { headers: { 'content-length': undefined } });
    expect([buffer?.code, buffer?.status]).toEqual(['payload_too_large', 413]);
  });

  it('answers 400 bad_request for malformed JSON', async () => {
    const error = await run(policy(), '{"a":1,}');
    expect([error?.code, error?.status, error?.detail]).toEqual([
      'bad_request',
      400,
      'body is not valid JSON: expected a key at byte 7',
    ]);
  });

  it('only scans JSON media types', async () => {
    const p = policy({ maxDepth: 1 });
    expect(await run(p, '[[1]]', { headers: { 'content-type': 'text/plain' } })).toBeUndefined();
    expect(await run(p, 'not json', { headers: { 'content-type': undefined } })).toBeUndefined();
    expect(
      (await run(p, '[[1]]', { headers: { 'content-type': 'application/problem+json; charset=utf-8' } }))?.code,
    ).toBe('json_threat_detected');
    expect((await run(p, '[[1]]', { headers: { 'content-type': 'Application/JSON' } }))?.code).toBe(
      'json_threat_detected',
    );
    expect(await run(p, '', {})).toBeUndefined();
  });

  it('matches media type patterns', () => {
    const matches = mediaTypeMatcher(['application/json', 'application/*+json']);
    expect(['application/json', 'application/vnd.api+json', 'application/json; charset=utf-8'].map(matches)).toEqual([
      true,
      true,
      true,
    ]);
    expect(['text/json', 'application/jsonx', 'application/x/y+json', undefined].map(matches)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('fills defaults and refuses bad limits', () => {
    expect(validatePolicyConfig(jsonThreatProtectionPolicy, {}, 'x')).toEqual({
      maxDepth: 32,
      maxKeyLength: 256,
      maxStringLength: 65_536,
      maxArraySize: 10_000,
      maxObjectEntries: 1_000,
      maxSize: '1mb',
      contentTypes: ['application/json', 'application/*+json'],
    });
    expect(() => policy({ maxDepth: 0 })).toThrow(/policies\[0\]\.config\.maxDepth/);
  });
});
