/**
 * Mock mode cannot be turned against the gateway. A publisher's (or a compromised control plane's)
 * OpenAPI document with recursive, self-composing, huge or deeply chained schemas loads in bounded
 * time and memory and yields bounded answers; a client's oversized Prefer / Accept headers or header
 * injection through example values get nothing out of the ordinary, and other requests keep flowing.
 */
import { simpleDocument, startTestGateway, type TestGateway } from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from './raw.js';

const json = (schema: unknown) => ({
  '200': { description: 'ok', content: { 'application/json': { schema } } },
});

/** 500 operations whose answers would each be megabytes if generation were unbounded. */
function bombDocument(): Record<string, unknown> {
  const schemas: Record<string, unknown> = {
    // Self-recursive through required properties, arrays and every composition keyword.
    Tree: {
      type: 'object',
      required: ['left', 'right', 'kids'],
      properties: {
        left: { $ref: '#/components/schemas/Tree' },
        right: { allOf: [{ $ref: '#/components/schemas/Tree' }] },
        kids: { type: 'array', minItems: 1_000_000, items: { $ref: '#/components/schemas/Tree' } },
        either: { oneOf: [{ $ref: '#/components/schemas/Tree' }] },
      },
    },
    Loop: { allOf: [{ $ref: '#/components/schemas/Loop' }, { $ref: '#/components/schemas/Loop' }] },
    Huge: {
      type: 'array',
      minItems: 1_000_000_000,
      items: { type: 'string', minLength: 1_000_000_000 },
    },
    Wide: { type: 'object', required: [] as string[], properties: {} as Record<string, unknown> },
  };
  const wide = schemas.Wide as { required: string[]; properties: Record<string, unknown> };
  for (let i = 0; i < 20_000; i++) {
    wide.properties[`p${i}`] = { $ref: '#/components/schemas/Huge' };
    wide.required.push(`p${i}`);
  }
  // A chain of 200 schemas each composing the next twice: 2^200 paths if walked naively.
  for (let i = 0; i < 200; i++)
    schemas[`Chain${i}`] = {
      allOf: [{ $ref: `#/components/schemas/Chain${i + 1}` }, { $ref: `#/components/schemas/Chain${i + 1}` }],
    };
  schemas.Chain200 = { type: 'object', properties: { end: { type: 'boolean' } } };
  const names = ['Tree', 'Loop', 'Huge', 'Wide', 'Chain0'];
  const paths: Record<string, unknown> = {};
  for (let i = 0; i < 500; i++) {
    const name = names[i % names.length]!;
    paths[`/op${i}`] = {
      get: {
        responses: {
          ...json({ $ref: `#/components/schemas/${name}` }),
          '500': {
            description: 'injected',
            headers: { 'x-evil': { example: 'a\r\nset-cookie: pwned=1' }, 'x-fine': { example: 'ok' } },
            content: { 'application/json': { example: { fine: true } } },
          },
        },
      },
    };
  }
  return { openapi: '3.1.0', info: { title: 'Bombs', version: '1' }, paths, components: { schemas } };
}

describe('hostile: mock mode against hostile documents and headers', () => {
  let gw: TestGateway;
  let heapBefore = 0;
  let heapAfter = 0;

  beforeAll(async () => {
    global.gc?.();
    heapBefore = process.memoryUsage().heapUsed;
    gw = await startTestGateway(
      simpleDocument('http://127.0.0.1:9', {
        openapi: bombDocument(),
        upstream: { targets: [{ url: 'http://127.0.0.1:9' }], mock: {} },
      }),
    );
    heapAfter = process.memoryUsage().heapUsed;
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
  });

  it('loads a document of recursive, self-composing and huge schemas with bounded memory', () => {
    // The document itself is a few MB; unbounded generation would need gigabytes (or never end).
    expect(heapAfter - heapBefore).toBeLessThan(400 * 1024 * 1024);
  });

  it('answers every kind of bomb with a small body', async () => {
    for (const path of ['/op0', '/op1', '/op2', '/op3', '/op4', '/op495', '/op499']) {
      const res = await gw.fetch(`/test${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('x-gatehouse-mock')).toBe('true');
      const body = await res.text();
      expect(body.length, path).toBeLessThan(64 * 1024);
      expect(() => JSON.parse(body), path).not.toThrow();
    }
  });

  it('never copies a header value with line breaks from the document', async () => {
    const res = await gw.fetch('/test/op0', { headers: { prefer: 'code=500' } });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-fine')).toBe('ok');
    expect(res.headers.get('x-evil')).toBeNull();
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('reads oversized Prefer and Accept headers in bounded time, answering as usual', async () => {
    const accept = `${'application/x-nope;q=0.9, '.repeat(250)}application/json`;
    const prefer = `${'x=y; '.repeat(1_000)}code=500`;
    const answer = await rawRequest(
      gw.port,
      `GET /test/op0 HTTP/1.1\r\nhost: x\r\naccept: ${accept}\r\nprefer: ${prefer}\r\nconnection: close\r\n\r\n`,
    );
    // Prefer is read up to its first kilobyte: the code past it is ignored, the default answered.
    expect(answer.status).toBe(200);
    const other = await gw.fetch('/test/op3');
    expect(other.status).toBe(200);
  });
});
