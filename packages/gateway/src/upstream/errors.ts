import { GatewayError } from '@gatehouse/core';
import type { UpstreamErrorKind } from './types.js';

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
]);
const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);
/** Undici rejected the request itself (e.g. a forbidden header): nothing the target did wrong. */
const REQUEST_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH']);

/** How an upstream failure is reported: `request` means the request was unsendable, not the target's fault. */
export type FailureKind = Exclude<UpstreamErrorKind, 'status'> | 'request';

export function classifyUpstreamError(error: unknown): FailureKind {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (CONNECT_CODES.has(code)) return 'connect';
    if (TIMEOUT_CODES.has(code)) return 'timeout';
    if (REQUEST_CODES.has(code)) return 'request';
  }
  // Resets, "other side closed", parser errors on a malformed response.
  return 'reset';
}

/** Client-facing error; the target and the low-level cause stay in `cause` (logs), never in the problem document. */
export function toGatewayError(kind: FailureKind, cause: unknown): GatewayError {
  switch (kind) {
    case 'timeout':
      return new GatewayError('upstream_timeout', { cause });
    case 'request':
      return new GatewayError('bad_request', { detail: 'The request cannot be forwarded upstream', cause });
    case 'connect':
      return new GatewayError('upstream_unavailable', { detail: 'Could not connect to the upstream', cause });
    default:
      return isMalformedResponse(cause)
        ? new GatewayError('upstream_bad_response', { cause })
        : new GatewayError('upstream_unavailable', { detail: 'The upstream connection failed', cause });
  }
}

function isMalformedResponse(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    (code.startsWith('HPE_') || code === 'UND_ERR_HEADERS_OVERFLOW' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH')
  );
}
