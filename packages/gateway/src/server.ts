import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, ServerResponse } from 'node:http';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ERROR_CATALOG, type ErrorCode, PROBLEM_CONTENT_TYPE, problem } from '@gatehouse/core';
import type { ClientRequest } from './context.js';
import type { ClientResponse, UpgradeInfo } from './handler.js';
import { h2FieldWhitespace, h2HeaderListTooLarge, headBlockTooLarge } from './header-block.js';

export interface ListenerLimits {
  maxHeaderSize: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  http2MaxConcurrentStreams: number;
}

export interface TlsOptions {
  certFile: string;
  keyFile: string;
  /** CA bundle for client certificates; when set the listener asks for a client certificate (mTLS plans verify it). */
  clientCaFile?: string;
  /** Ask for client certificates without a CA here (the mtls plan verifies chains itself). */
  requestClientCert?: boolean;
}

type Handle = (req: ClientRequest, res: ClientResponse, upgrade?: UpgradeInfo) => void;

/** Plain HTTP/1.1 listener: strict parser, header/request timeouts, header size limit. */
export function createHttpServer(handle: Handle, limits: ListenerLimits): http.Server {
  const server = http.createServer(
    {
      insecureHTTPParser: false,
      maxHeaderSize: limits.maxHeaderSize,
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Keep-alive connections are reused by load generators and proxies alike; no Nagle delay.
      noDelay: true,
    },
    (req, res) => {
      if (refuseAmbiguousFraming(req, res)) return;
      if (headBlockTooLarge(req, headerLimit(server))) return refuse(res, 'headers_too_large', HEADERS_TOO_LARGE);
      handle(req, res);
    },
  );
  attachCommon(server, handle);
  return server;
}

/** TLS listener speaking HTTP/2 (ALPN h2) and HTTP/1.1 on the same port. */
export function createTlsServer(handle: Handle, limits: ListenerLimits, tls: TlsOptions): http2.Http2SecureServer {
  const server = http2.createSecureServer(
    {
      allowHTTP1: true,
      key: readFileSync(tls.keyFile),
      cert: readFileSync(tls.certFile),
      ...(tls.clientCaFile ? { ca: readFileSync(tls.clientCaFile) } : {}),
      requestCert: Boolean(tls.clientCaFile || tls.requestClientCert),
      // Chains are verified by the mtls plan so requests without a certificate can still reach other plans.
      rejectUnauthorized: false,
      maxSessionMemory: 64,
      // Strict mode drops fields with surrounding whitespace unseen, so they escaped the header list limit (30 KB of
      // them passed 16 KB); lenient, they reach the request callback, which counts them and refuses them with 400.
      strictFieldWhitespaceValidation: false,
      // Node advertises no stream limit by default (2^32-1); nghttp2 refuses streams beyond the advertised one.
      settings: { maxHeaderListSize: limits.maxHeaderSize, maxConcurrentStreams: limits.http2MaxConcurrentStreams },
      maxSendHeaderBlockLength: limits.maxHeaderSize,
    } as http2.SecureServerOptions & { strictFieldWhitespaceValidation: boolean }, // Node >= 20.14; @types/node 20 lacks it
    (req, res) => {
      if (req.httpVersionMajor === 1) {
        const http1 = req as unknown as IncomingMessage;
        const response = res as unknown as ServerResponse;
        if (refuseAmbiguousFraming(http1, response)) return;
        if (headBlockTooLarge(http1, headerLimit(server)))
          return refuse(response, 'headers_too_large', HEADERS_TOO_LARGE);
      } else {
        if (h2HeaderListTooLarge(req.rawHeaders, headerLimit(server)))
          return refuseStream(res, 'headers_too_large', HEADERS_TOO_LARGE);
        const field = h2FieldWhitespace(req.rawHeaders);
        if (field !== undefined)
          return refuseStream(res, 'bad_request', `header ${field}: value has surrounding whitespace`);
      }
      handle(req, res);
    },
  );
  // Node's HTTP/1 fallback reads the limit from the server object; the HTTP/2 server has none of its own.
  (server as { maxHeaderSize?: number }).maxHeaderSize = limits.maxHeaderSize;
  (server as { keepAliveTimeout?: number }).keepAliveTimeout = limits.keepAliveTimeoutMs;
  const sessions = new Set<http2.ServerHttp2Session>();
  (server as Http2Listener)[SESSIONS] = sessions;
  server.on('session', (session) => watchSession(session, server as Http2Listener, sessions));
  attachCommon(server as unknown as http.Server, handle);
  return server;
}

/**
 * A reloaded document's limits for a running listener: Node reads these properties per connection (header size,
 * keep-alive) or on its periodic check (header and request timeouts), so open connections keep theirs until they
 * close. HTTP/2 peers are told the new header list size in a SETTINGS frame.
 */
export function updateListenerLimits(server: http.Server | http2.Http2SecureServer, limits: ListenerLimits): void {
  const target = server as http.Server & { maxHeaderSize?: number };
  target.maxHeaderSize = limits.maxHeaderSize;
  target.headersTimeout = limits.headersTimeoutMs;
  target.requestTimeout = limits.requestTimeoutMs;
  target.keepAliveTimeout = limits.keepAliveTimeoutMs;
  if ('updateSettings' in server)
    server.updateSettings({
      maxHeaderListSize: limits.maxHeaderSize,
      maxConcurrentStreams: limits.http2MaxConcurrentStreams,
    });
}

const SESSIONS = Symbol('gatehouse.http2Sessions');
type Http2Listener = http2.Http2SecureServer & {
  [SESSIONS]?: Set<http2.ServerHttp2Session>;
  keepAliveTimeout?: number;
};

/**
 * HTTP/2 connections end when they should: Node keeps a session whose client sent a FIN (after a protocol error
 * nghttp2 answered with GOAWAY, the socket sat in CLOSE-WAIT forever), and idle sessions have no timeout at all.
 */
function watchSession(
  session: http2.ServerHttp2Session,
  server: Http2Listener,
  sessions: Set<http2.ServerHttp2Session>,
) {
  sessions.add(session);
  let openStreams = 0;
  session.on('stream', (stream) => {
    openStreams++;
    stream.once('close', () => openStreams--);
  });
  session.once('close', () => sessions.delete(session));
  session.on('error', () => session.destroy());
  // HTTP/2 has no half-closed connections: a client that stopped sending is gone.
  session.socket.once('end', () => session.destroy());
  // Idle like an HTTP/1 keep-alive connection: closed once no stream is open (after a GOAWAY too).
  session.setTimeout(server.keepAliveTimeout ?? 5_000, () => {
    if (openStreams === 0) session.destroy();
  });
}

/**
 * Shutdown for HTTP/2 listeners: `graceful` sends GOAWAY (streams under way finish, no new ones start); otherwise
 * every session is destroyed. server.close() alone waits for HTTP/2 clients indefinitely.
 */
export function closeHttp2Sessions(server: object, graceful: boolean): void {
  const sessions = (server as Http2Listener)[SESSIONS];
  if (sessions === undefined) return;
  for (const session of sessions) {
    if (!graceful) session.destroy();
    else if (!session.closed) session.close();
  }
}

function attachCommon(server: http.Server, handle: Handle): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.shouldKeepAlive = false;
    res.once('finish', () => socket.end());
    if (headBlockTooLarge(req, headerLimit(server))) return refuse(res, 'headers_too_large', HEADERS_TOO_LARGE);
    if (offersWebSocket(req)) {
      handle(req, res, { socket, head });
      return;
    }
    // Other upgrades (h2c from `curl --http2`, TLS...) are ignored, as RFC 9110 7.8 allows: tunnelling h2c would
    // let every later stream on it bypass the gateway's per-request policies. Node has stopped parsing this
    // connection, so only a request without a body can still be served as an ordinary one.
    if (req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0')
      return refuse(res, 'bad_request', `upgrade to ${req.headers.upgrade} is not supported on a request with a body`);
    handle(req, res);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const code = clientErrorCode(error);
    const body = JSON.stringify(problem(code, { detail: clientErrorDetail(error) }));
    socket.end(
      `HTTP/1.1 ${ERROR_CATALOG[code].status} ${ERROR_CATALOG[code].title}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}

/** True when the client asks for a WebSocket (the one upgrade the gateway tunnels). */
function offersWebSocket(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return upgrade !== undefined && /(?:^|,)\s*websocket\s*(?:,|$)/i.test(upgrade);
}

function clientErrorCode(error: NodeJS.ErrnoException): ErrorCode {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large';
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_HEADERS_TIMEOUT') return 'bad_request';
  return 'bad_request';
}

function clientErrorDetail(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'request headers exceed the limit';
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return 'Content-Length and Transfer-Encoding must not both be present';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return 'request not received in time';
    default:
      return 'malformed HTTP request';
  }
}

/**
 * Requests carrying both Content-Length and Transfer-Encoding are a request-smuggling vector
 * (RFC 9112 6.3); llhttp rejects most, this catches the rest before any policy runs.
 */
function refuseAmbiguousFraming(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers['content-length'] === undefined || req.headers['transfer-encoding'] === undefined) return false;
  refuse(res, 'bad_request', 'Content-Length and Transfer-Encoding must not both be present');
  return true;
}

const HEADERS_TOO_LARGE = 'request headers exceed the limit';

/** The listener's current header limit (a reload may have changed it). */
function headerLimit(server: object): number {
  return (server as { maxHeaderSize?: number }).maxHeaderSize ?? 16 * 1024;
}

/** Answers before any routing and closes the connection: what follows on it cannot be trusted. */
function refuse(res: ServerResponse, code: ErrorCode, detail: string): void {
  const body = JSON.stringify(problem(code, { detail }));
  res.shouldKeepAlive = false;
  res.writeHead(ERROR_CATALOG[code].status, {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

/** `refuse` for an HTTP/2 stream: no Connection header there; the stream ends, the session stays. */
function refuseStream(res: http2.Http2ServerResponse, code: ErrorCode, detail: string): void {
  const body = JSON.stringify(problem(code, { detail }));
  res.writeHead(ERROR_CATALOG[code].status, {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
