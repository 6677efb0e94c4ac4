import { errors } from 'undici';
import { describe, expect, it } from 'vitest';
import { classifyUpstreamError, toGatewayError } from './errors.js';

const systemError = (code: string) => Object.assign(new Error(code), { code });

describe('upstream error classification', () => {
  it.each([
    [systemError('ECONNREFUSED'), 'connect', 'upstream_unavailable', 502],
    [systemError('ENOTFOUND'), 'connect', 'upstream_unavailable', 502],
    [new errors.ConnectTimeoutError(), 'timeout', 'upstream_timeout', 504],
    [new errors.HeadersTimeoutError(), 'timeout', 'upstream_timeout', 504],
    [new errors.BodyTimeoutError(), 'timeout', 'upstream_timeout', 504],
    [new errors.SocketError('other side closed'), 'reset', 'upstream_unavailable', 502],
    [systemError('ECONNRESET'), 'reset', 'upstream_unavailable', 502],
    [systemError('HPE_INVALID_CONSTANT'), 'reset', 'upstream_bad_response', 502],
    [new errors.InvalidArgumentError('invalid connection header'), 'request', 'bad_request', 400],
  ])('%s -> %s / %s', (error, kind, code, status) => {
    const classified = classifyUpstreamError(error);
    expect(classified).toBe(kind);
    const gatewayError = toGatewayError(classified, error);
    expect(gatewayError.code).toBe(code);
    expect(gatewayError.status).toBe(status);
    // The low-level message (hosts, ports) stays out of what the client sees.
    expect(JSON.stringify(gatewayError.toProblem())).not.toContain('127.0.0.1');
  });
});
