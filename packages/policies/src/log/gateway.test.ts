// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureLogger } from '../testing/index.js';

describe('log through the gateway', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  const { logger, lines } = captureLogger();

  beforeAll(async () => {
    upstream = await startTestUpstream();
    gw = await startTestGateway(
      simpleDocument(upstream.url, {
        policies: [
          {
            policy: 'log',
            config: {
              level: 'info',
              message: 'custom ${request.method} ${request.path} -> ${response.status}',
              fields: {
                status: 'response.status',
                headers: 'request.headers',
                tenant: 'request.headers["x-tenant"]',
                took: 'durationMs',
              },
            },
          },
        ],
      }),
      { logger },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('writes the custom line after the response, without credentials', async () => {
    const res = await gw.fetch('/test/orders', {
      headers: { 'x-tenant': 'acme', authorization: 'Bearer top-secret-token' },
    });
    expect(res.status).toBe(200);
    await res.text();
    await vi.waitFor(() => expect(lines.some((l) => l.policy === 'log')).toBe(true));
    const line = lines.find((l) => l.policy === 'log')!;
    expect(line).toMatchObject({ msg: 'custom GET /orders -> 200', status: 200, tenant: 'acme' });
    expect(typeof line.took).toBe('number');
    expect((line.headers as Record<string, string>).authorization).toBe('[redacted]');
    expect(JSON.stringify(lines)).not.toContain('top-secret-token');
  });
});
