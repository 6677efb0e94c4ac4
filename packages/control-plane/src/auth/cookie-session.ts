/**
 * Browser sessions for the admin console: the session token rides in an HttpOnly, SameSite=Strict
 * cookie instead of JavaScript-readable storage, so a script injected into the page cannot steal
 * it. Cookies are sent by the browser on its own, so every state-changing call authenticated by the
 * cookie must also prove it comes from our page: an `X-CSRF-Token` header derived from the session
 * (a cross-site page can neither read it nor set custom headers without a CORS preflight we never
 * grant) and, when the browser says where it comes from, a same-origin Origin / Sec-Fetch-Site.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '@gatehouse/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'gatehouse_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Bound to the session: knowing it needs the session token, and it dies with the session. */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`gatehouse-csrf:${sessionToken}`).digest('base64url');
}

export function sessionCookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

function cookieAttributes(request: FastifyRequest): string {
  return `Path=/api/; HttpOnly; SameSite=Strict${request.protocol === 'https' ? '; Secure' : ''}`;
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: Date): void {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  reply.header('set-cookie', `${SESSION_COOKIE}=${token}; Max-Age=${maxAge}; ${cookieAttributes(request)}`);
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=; Max-Age=0; ${cookieAttributes(request)}`);
}

/**
 * Same host as the request: a cross-site page cannot choose the Host its browser sends, only its
 * own Origin. The scheme is not compared, so a console behind a TLS-terminating proxy without
 * trustProxy still works.
 */
function sameHost(origin: string, request: FastifyRequest): boolean {
  try {
    return new URL(origin).host === request.host;
  } catch {
    return false;
  }
}

/** Refuses requests a browser marks as coming from another site (login CSRF included). */
export function assertSameOrigin(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new GatewayError('forbidden', { detail: 'Cross-site requests are refused for cookie sessions.' });
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !sameHost(origin, request)) {
    throw new GatewayError('forbidden', { detail: `Origin ${origin} may not use this session.` });
  }
}

/** For a request authenticated by the session cookie: state changes need the CSRF header. */
export function assertCsrf(request: FastifyRequest, sessionToken: string): void {
  if (SAFE_METHODS.has(request.method)) return;
  assertSameOrigin(request);
  const sent = request.headers[CSRF_HEADER];
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(typeof sent === 'string' ? sent : '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new GatewayError('forbidden', {
      detail: `State-changing calls with the session cookie need the ${CSRF_HEADER} header from GET /api/v1/auth/session.`,
    });
  }
}
