import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, GatewayError, toProblem } from './errors.js';

describe('problem documents', () => {
  it('renders a catalog error as RFC 9457 problem+json with a stable code', () => {
    const doc = new GatewayError('rate_limited', { detail: '5 requests per 1m' }).toProblem('/orders');
    expect(doc).toEqual({
      type: 'https://gatehouse.dev/problems/rate-limited',
      title: ERROR_CATALOG.rate_limited.title,
      status: 429,
      code: 'rate_limited',
      detail: '5 requests per 1m',
      instance: '/orders',
    });
  });

  it('never leaks the message of an unexpected error', () => {
    const doc = toProblem(new Error('password=hunter2 at /src/db.ts:12'));
    expect(doc.code).toBe('internal_error');
    expect(JSON.stringify(doc)).not.toContain('hunter2');
  });
});
