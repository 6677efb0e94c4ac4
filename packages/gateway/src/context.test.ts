import { describe, expect, it } from 'vitest';
import { ProxyResponse } from './context.js';

const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p, 'latin1'));

function upstreamAnswer(...pairs: string[]): ProxyResponse {
  const response = new ProxyResponse(1024);
  response.setUpstreamHeaders({ headers: {}, rawHeaders: raw(...pairs) });
  return response;
}

describe('ProxyResponse header edits', () => {
  it('keeps edits beside the raw list until someone reads the headers, then applies them in order', () => {
    const response = upstreamAnswer('X-Powered-By', 'Express', 'Vary', 'accept', 'Content-Type', 'text/plain');
    response.removeHeader('x-powered-by');
    response.appendHeader('vary', 'origin');
    response.setHeader('ratelimit-limit', '10');
    expect(response.untouchedRawHeaders()).toHaveLength(6);
    expect(response.pendingEdits).toHaveLength(3);
    expect(response.headers).toEqual({
      'x-powered-by': undefined,
      vary: ['accept', 'origin'],
      'content-type': 'text/plain',
      'ratelimit-limit': '10',
    });
    expect(response.untouchedRawHeaders()).toBeUndefined();
    expect(response.pendingEdits).toBeUndefined();
  });

  it('edits the object directly once it exists, and a replaced object drops earlier edits', () => {
    const response = upstreamAnswer('Server', 'x');
    void response.headers;
    response.setHeader('x-a', '1');
    response.removeHeader('server');
    expect(response.headers).toEqual({ server: undefined, 'x-a': '1' });
    const fresh = upstreamAnswer('Server', 'x');
    fresh.setHeader('x-a', '1');
    fresh.headers = { 'content-type': 'application/json' };
    expect(fresh.headers).toEqual({ 'content-type': 'application/json' });
  });
});
