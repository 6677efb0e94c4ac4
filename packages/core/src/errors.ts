/**
 * The one error catalog. Every error a client sees (gateway or management API) comes from here,
 * rendered as RFC 9457 problem+json with a stable `code`. Codes are part of the public contract:
 * never rename one, only add.
 */
export interface ErrorSpec {
  status: number;
  title: string;
}

export const ERROR_CATALOG = {
  // Routing
  no_route: { status: 404, title: 'No API or route matches this request' },
  method_not_allowed: { status: 405, title: 'Method not allowed on this route' },
  // Security
  unauthorized: { status: 401, title: 'Missing or invalid credentials' },
  forbidden: { status: 403, title: 'Access to this resource is forbidden' },
  ip_forbidden: { status: 403, title: 'Client address is not allowed' },
  // Traffic control
  rate_limited: { status: 429, title: 'Rate limit exceeded' },
  quota_exceeded: { status: 429, title: 'Quota exceeded' },
  concurrency_limited: { status: 429, title: 'Too many concurrent requests' },
  // Request shape
  bad_request: { status: 400, title: 'Bad request' },
  validation_failed: { status: 400, title: 'Request validation failed' },
  json_threat_detected: { status: 400, title: 'JSON body exceeds a structural limit' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  request_timeout: { status: 408, title: 'Request not received in time' },
  headers_too_large: { status: 431, title: 'Request header fields too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  not_found: { status: 404, title: 'Resource not found' },
  conflict: { status: 409, title: 'Conflict' },
  precondition_failed: { status: 412, title: 'Precondition failed' },
  precondition_required: { status: 428, title: 'Precondition required' },
  too_many_requests: { status: 429, title: 'Too many requests' },
  // Upstream
  upstream_unavailable: { status: 502, title: 'Upstream connection failed' },
  upstream_bad_response: { status: 502, title: 'Upstream sent an invalid response' },
  upstream_timeout: { status: 504, title: 'Upstream did not respond in time' },
  circuit_open: { status: 503, title: 'Upstream circuit breaker is open' },
  no_healthy_target: { status: 503, title: 'No healthy upstream target' },
  // Gateway state
  gateway_not_ready: { status: 503, title: 'Gateway has no configuration to serve' },
  shutting_down: { status: 503, title: 'Gateway is shutting down' },
  policy_error: { status: 500, title: 'A policy failed while processing the request' },
  internal_error: { status: 500, title: 'Internal error' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
  // Control plane
  not_deployable: { status: 409, title: 'The API definition cannot be deployed' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** Base of the `type` URI of every problem document; the code is appended. */
export const PROBLEM_TYPE_BASE = 'https://gatehouse.dev/problems/';

export interface InvalidParam {
  /** Path of the offending field, e.g. `body.name` or `apis[0].basePath`. */
  path: string;
  message: string;
}

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: ErrorCode;
  instance?: string;
  errors?: InvalidParam[];
  [extension: string]: unknown;
}

export interface GatewayErrorOptions {
  detail?: string;
  headers?: Record<string, string>;
  errors?: InvalidParam[];
  /** Extra members added to the problem document. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
  /** Overrides the catalog status (rare; e.g. a policy configured to answer 403 instead of 401). */
  status?: number;
}

/** An error meant for the client. Anything else thrown is reported as `internal_error` without details. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly errors: InvalidParam[] | undefined;
  readonly extensions: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, options: GatewayErrorOptions = {}) {
    super(
      options.detail ?? ERROR_CATALOG[code].title,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? ERROR_CATALOG[code].status;
    this.detail = options.detail;
    this.headers = options.headers;
    this.errors = options.errors;
    this.extensions = options.extensions;
  }

  toProblem(instance?: string): ProblemDocument {
    return problem(this.code, {
      detail: this.detail,
      errors: this.errors,
      instance,
      status: this.status,
      extensions: this.extensions,
    });
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

export function problem(
  code: ErrorCode,
  options: {
    detail?: string | undefined;
    errors?: InvalidParam[] | undefined;
    instance?: string | undefined;
    status?: number | undefined;
    extensions?: Record<string, unknown> | undefined;
  } = {},
): ProblemDocument {
  const spec = ERROR_CATALOG[code];
  const doc: ProblemDocument = {
    ...options.extensions,
    type: PROBLEM_TYPE_BASE + code.replaceAll('_', '-'),
    title: spec.title,
    status: options.status ?? spec.status,
    code,
  };
  if (options.detail !== undefined) doc.detail = options.detail;
  if (options.instance !== undefined) doc.instance = options.instance;
  if (options.errors !== undefined && options.errors.length > 0) doc.errors = options.errors;
  return doc;
}

/** Converts anything thrown into a client-safe problem: unknown errors never leak messages or stacks. */
export function toProblem(error: unknown, instance?: string): ProblemDocument {
  if (isGatewayError(error)) return error.toProblem(instance);
  return problem('internal_error', { instance });
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
