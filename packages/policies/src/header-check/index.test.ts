import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { createAtPath, validatePolicyConfig } from '../sdk/define.js';
import type { PolicyEnvironment, PolicyHandlers, ScopeKind } from '../sdk/types.js';
import { createTestContext } from '../testing/context.js';
import { headerCheckPolicy } from './index.js';
import type { HeaderCheckConfig } from './schema.js';

function policy(config: Record<string, unknown>, kind: ScopeKind = 'api'): PolicyHandlers {
  const valid = validatePolicyConfig<HeaderCheckConfig>(headerCheckPolicy, config, 'apis[0].policies[0].config');
  return createAtPath('apis[0].policies[0].config', () =>
    headerCheckPolicy.create(valid, { scope: { kind, key: 'k' } } as PolicyEnvironment),
  );
}

async function run(handlers: PolicyHandlers, headers: IncomingHttpHeaders): Promise<GatewayError | undefined> {
  const handler = handlers.preSecurity ?? handlers.request!;
  try {
    await handler(createTestContext({ headers }));
    return undefined;
  } catch (error) {
    return error as GatewayError;
  }
}

describe('header-check', () => {
  const config = {
    required: [
      { name: 'X-Tenant-Id', pattern: '^[a-z0-9-]{3,32}$' },
      { name: 'x-api-version', values: ['v1', 'v2'] },
      { name: 'x-client' },
    ],
    forbidden: [{ name: 'x-debug' }, { name: 'x-forwarded-host', pattern: '\\.internal$', ignoreCase: true }],
  };

  it('passes a request that satisfies every rule', async () => {
    expect(
      await run(policy(config), {
        'x-tenant-id': 'acme-1',
        'x-api-version': 'v2',
        'x-client': 'web',
        'x-forwarded-host': 'shop.example.com',
      }),
    ).toBeUndefined();
  });

  it('lists each offending header in errors with a 400 validation_failed', async () => {
    const error = await run(policy(config), {
      'x-tenant-id': 'ACME!',
      'x-api-version': 'v3',
      'x-debug': '1',
      'x-forwarded-host': 'db.INTERNAL',
    });
    expect(error).toBeInstanceOf(GatewayError);
    expect([error!.status, error!.code]).toEqual([400, 'validation_failed']);
    expect(error!.errors).toEqual([
      { path: 'headers.x-tenant-id', message: 'must match ^[a-z0-9-]{3,32}$' },
      { path: 'headers.x-api-version', message: 'must be one of "v1", "v2"' },
      { path: 'headers.x-client', message: 'is required' },
      { path: 'headers.x-debug', message: 'is not allowed' },
      { path: 'headers.x-forwarded-host', message: 'must not match \\.internal$' },
    ]);
    expect(error!.detail).toBe(
      'request headers rejected: x-tenant-id, x-api-version, x-client, x-debug, x-forwarded-host',
    );
    expect(JSON.stringify(error!.toProblem())).not.toContain('ACME!');
  });

  it('needs both pattern and values when both are given, and supports case-insensitive values', async () => {
    const p = policy({ required: [{ name: 'x-env', pattern: '^p', values: ['PROD', 'preview'], ignoreCase: true }] });
    expect(await run(p, { 'x-env': 'prod' })).toBeUndefined();
    expect(await run(p, { 'x-env': 'Preview' })).toBeUndefined();
    expect((await run(p, { 'x-env': 'staging' }))?.errors).toEqual([
      { path: 'headers.x-env', message: 'must match ^p and be one of "PROD", "preview"' },
    ]);
  });

  it('checks every element of an array-valued header', async () => {
    const p = policy({ forbidden: [{ name: 'set-cookie', pattern: '^admin=' }] });
    expect(await run(p, { 'set-cookie': ['a=1', 'b=2'] })).toBeUndefined();
    expect((await run(p, { 'set-cookie': ['a=1', 'admin=1'] }))?.status).toBe(400);
  });

  it('runs before security except at plan scope, where the plan is only known afterwards', () => {
    expect(Object.keys(policy(config, 'api'))).toEqual(['preSecurity']);
    expect(Object.keys(policy(config, 'route'))).toEqual(['preSecurity']);
    expect(Object.keys(policy(config, 'plan'))).toEqual(['request']);
  });

  it('tests a catastrophic-backtracking pattern against a hostile value in linear time', async () => {
    const handlers = policy({ required: [{ name: 'x-a', pattern: '^(a+)+$' }] });
    const started = performance.now();
    const error = await run(handlers, { 'x-a': `${'a'.repeat(40)}!` });
    // About a hang, not speed: a backtracking engine needs hours on this input, RE2 microseconds;
    // the bound only separates the two, on a machine under any load.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(error?.code).toBe('validation_failed');
  });

  it('refuses a bad regular expression or header name at load with its path', () => {
    expect(() => policy({ required: [{ name: 'x-a', pattern: '(' }] })).toThrow(
      /^apis\[0\]\.policies\[0\]\.config\.required\[0\]\.pattern: not a valid RE2 regular expression/,
    );
    expect(() => policy({ forbidden: [{ name: 'x-a', pattern: '^(?!ok)' }] })).toThrow(
      /forbidden\[0\]\.pattern: .*lookaround/,
    );
    expect(() => policy({ forbidden: [{ name: 'bad name' }] })).toThrow(/forbidden\[0\]\.name/);
  });
});
