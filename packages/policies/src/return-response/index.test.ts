// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { describe, expect, it } from 'vitest';
import { createTestContext } from '../testing/context.js';
import { createPolicy } from '../testing/index.js';
import { returnResponsePolicy } from './index.js';

describe('return-response', () => {
  it('answers with rendered status, headers and body', async () => {
    const handlers = createPolicy(returnResponsePolicy, {
      status: 201,
      headers: { 'Content-Type': 'application/json', 'X-Echo-Method': '${request.method}' },
      body: '{"app":"${context.application}","q":"${request.query.q}","sub":"${claims.sub}","n":${1 + 2}}',
    });
    const ctx = createTestContext({
      method: 'PUT',
      query: 'q=hello',
      application: { id: 'acme', name: 'Acme' },
      claims: { sub: 'u-1' },
    });
    await handlers.request!(ctx);
    expect(ctx.shortCircuit?.status).toBe(201);
    expect(ctx.shortCircuit?.headers).toEqual({ 'content-type': 'application/json', 'x-echo-method': 'PUT' });
    expect(JSON.parse(ctx.shortCircuit!.body.toString())).toEqual({ app: 'acme', q: 'hello', sub: 'u-1', n: 3 });
  });

  it('defaults to an empty 200', async () => {
    const ctx = createTestContext();
    await createPolicy(returnResponsePolicy, {}).request!(ctx);
    expect(ctx.shortCircuit).toEqual({ status: 200, headers: {}, body: Buffer.alloc(0) });
  });

  it('inserts non-string values as JSON', async () => {
    const ctx = createTestContext({ params: { id: '7' } });
    await createPolicy(returnResponsePolicy, { body: '${context.params}|${[1, "a"]}' }).request!(ctx);
    expect(ctx.shortCircuit!.body.toString()).toBe('{"id":"7"}|[1,"a"]');
  });

  it('reports bad CEL at load time with the field it is in', () => {
    expect(() => createPolicy(returnResponsePolicy, { body: 'x ${request.}' })).toThrow(/^config\.body: invalid CEL/);
    expect(() => createPolicy(returnResponsePolicy, { headers: { 'x-a': '${(}' } })).toThrow(
      /^config\.headers\.x-a: invalid CEL/,
    );
  });
});

describe('return-response example', () => {
  it('accepts its documented example', async () => {
    expect(returnResponsePolicy.example.policy).toBe('return-response');
    const handlers = createPolicy(returnResponsePolicy, returnResponsePolicy.example.config);
    expect(Object.keys(handlers).length).toBeGreaterThan(0);
    await handlers.close?.();
  });
});
