/**
 * Writing the client's response: headers (the upstream's raw list forwarded untouched when no policy looked at
 * it), then the body in one write or the upstream stream piped. Also the problem+json answers sent before any
 * policy ran.
 */
import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { GatewayError, type Logger, PROBLEM_CONTENT_TYPE } from '@gatehouse/core';
import type { ClientRequest, ProxyResponse } from './context.js';
import { forwardableRawHeaderList } from './headers.js';

export type ClientResponse = ServerResponse | Http2ServerResponse;

/**
 * Sends `response` as it stands. Returns the status written, undefined when the client was already gone (the
 * upstream body is released), or the error to answer instead when the headers were invalid (logged here).
 * `closeAfter`: ask the client to close the connection after this response.
 */
export function writeResponse(
  req: ClientRequest,
  res: ClientResponse,
  response: ProxyResponse,
  requestId: string,
  closeAfter: boolean,
  logger: Logger,
): number | GatewayError | undefined {
  if (res.destroyed) {
    response.stream?.destroy();
    return undefined;
  }
  const http1 = req.httpVersionMajor === 1;
  // Nobody looked at the upstream's headers: forward its raw list without building objects in between.
  const raw = http1 ? response.untouchedRawHeaders() : undefined;
  const list =
    raw === undefined
      ? undefined
      : forwardableRawHeaderList(raw, response.pendingEdits, 'x-request-id', requestId, closeAfter);
  try {
    if (list !== undefined) {
      (res as ServerResponse).writeHead(response.status, list);
    } else {
      const headers = response.headers;
      headers['x-request-id'] = requestId;
      if (closeAfter && http1) headers.connection = 'close';
      if (http1) (res as ServerResponse).writeHead(response.status, rawHeaderList(headers));
      else res.writeHead(response.status, withoutUnset(headers));
    }
  } catch (error) {
    // Invalid header values from a policy or upstream: answer a clean 502 rather than crash.
    logger.error({ err: error, requestId }, 'invalid response headers');
    response.stream?.destroy();
    return new GatewayError('upstream_bad_response', { detail: 'invalid response headers' });
  }
  // Small responses usually arrive whole with their headers: one write, no stream in between.
  const body = response.body ?? response.takeComplete();
  if (body !== undefined) {
    res.end(body);
    return response.status;
  }
  if (response.stream === undefined) {
    res.end();
    return response.status;
  }
  // pipe() rather than stream.pipeline(): pipeline allocates an AbortController per call, which
  // showed up as ~7% of CPU in profiles of the proxy path.
  const stream = response.stream;
  stream.once('error', () => res.destroy());
  res.once('close', () => {
    if (!stream.readableEnded) stream.destroy();
  });
  stream.pipe(res as NodeJS.WritableStream);
  return response.status;
}

export function sendProblem(
  res: ClientResponse,
  error: GatewayError,
  requestId: string | undefined,
  instance?: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(error.toProblem(instance?.split('?')[0]));
  const headers: OutgoingHttpHeaders = {
    ...error.headers,
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
  };
  if (requestId) headers['x-request-id'] = requestId;
  res.writeHead(error.status, headers);
  res.end(body);
}

/**
 * Response headers as Node's flat [name, value, ...] list, skipping unset ones: policies unset a header by
 * assigning undefined, because `delete` turns the object into a slow dictionary for everyone after them.
 */
function rawHeaderList(headers: OutgoingHttpHeaders): OutgoingHttpHeader[] {
  const list: OutgoingHttpHeader[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) list.push(name, value);
  }
  return list;
}

function withoutUnset(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) if (headers[name] !== undefined) out[name] = headers[name];
  return out;
}
