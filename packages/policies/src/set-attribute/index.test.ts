// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../sdk/expression.js';
import { createTestContext } from '../testing/context.js';
import { createPolicy } from '../testing/index.js';
import { setAttributePolicy } from './index.js';

describe('set-attribute', () => {
  it('sets literals and CEL results; later expressions and templates see earlier attributes', async () => {
    const policy = createPolicy(setAttributePolicy, {
      values: { tier: 'gold', limits: { daily: 10 } },
      expressions: {
        tenant: 'claims.tenant',
        label: 'attributes.tier + "/" + attributes.tenant',
        isPost: 'request.method == "POST"',
      },
    });
    const ctx = createTestContext({ method: 'POST', claims: { tenant: 'acme' } });
    // The activation may already exist (e.g. a `when` condition ran first).
    ctx.celActivation();
    await policy.request!(ctx);
    expect(ctx.attributes).toEqual({
      tier: 'gold',
      limits: { daily: 10 },
      tenant: 'acme',
      label: 'gold/acme',
      isPost: true,
    });
    expect(compileTemplate('tier=${ attributes.tier }').render(ctx)).toBe('tier=gold');
  });

  it('answers policy_error on a failing expression, or skips it when configured', async () => {
    const failing = createPolicy(setAttributePolicy, { expressions: { user: 'claims.sub' } });
    const error = await (async () => failing.request!(createTestContext()))().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('policy_error');

    const skipping = createPolicy(setAttributePolicy, {
      expressions: { user: 'claims.sub', ok: '1 + 1' },
      onError: 'skip',
    });
    const ctx = createTestContext();
    await skipping.request!(ctx);
    expect(ctx.attributes).toEqual({ ok: 2 });
  });

  it('runs before security when asked', () => {
    const policy = createPolicy(setAttributePolicy, { values: { a: 1 }, phase: 'preSecurity' });
    expect(policy.request).toBeUndefined();
    const ctx = createTestContext();
    policy.preSecurity!(ctx);
    expect(ctx.attributes.a).toBe(1);
  });

  it('does not share literal objects between requests', async () => {
    const policy = createPolicy(setAttributePolicy, { values: { list: [1] } });
    const first = createTestContext();
    await policy.request!(first);
    (first.attributes.list as number[]).push(2);
    const second = createTestContext();
    await policy.request!(second);
    expect(second.attributes.list).toEqual([1]);
  });

  it('rejects invalid CEL at load', () => {
    expect(() => createPolicy(setAttributePolicy, { expressions: { x: '1 +' } })).toThrow(/invalid CEL/);
  });
});
