/**
 * Serves the built admin console (packages/console/dist) at /console/, same origin as /api/v1 so
 * the session cookie and CSRF header work without CORS. Files are read and gzipped once at start
 * (the whole build is a few hundred KB): hashed assets are cached for a year, index.html is
 * revalidated on every load so a new build is picked up at once. Every answer carries a strict
 * Content-Security-Policy: scripts, styles and connections from this origin only, nothing inline.
 */

import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { GatewayError } from '@gatehouse/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const CONSOLE_PREFIX = '/console/';

/** `styleNonce`: the code editor injects its theme as <style> elements carrying this nonce. */
export const consoleCsp = (styleNonce?: string) =>
  [
    "default-src 'none'",
    "script-src 'self'",
    styleNonce ? `style-src 'self' 'nonce-${styleNonce}'` : "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
export const CONSOLE_CSP = consoleCsp();

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  immutable: boolean;
}

/** packages/console/dist, from src/http or dist/http alike; GATEHOUSE_CONSOLE_DIR overrides. */
export function defaultConsoleDir(): string {
  return process.env.GATEHOUSE_CONSOLE_DIR ?? fileURLToPath(new URL('../../../console/dist/', import.meta.url));
}

function loadFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const body = readFileSync(path);
        const type = TYPES[extname(name)] ?? 'application/octet-stream';
        const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 1024;
        const key = relative(dir, path).split(sep).join('/');
        files.set(key, {
          body,
          gzip: compressible ? gzipSync(body, { level: 9 }) : null,
          type,
          immutable: key.startsWith('assets/'),
        });
      }
    }
  };
  try {
    walk(dir);
  } catch {
    return new Map(); // not built: answered below with how to build it
  }
  return files;
}

function send(request: FastifyRequest, reply: FastifyReply, file: StaticFile) {
  reply
    .header('content-type', file.type)
    .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('vary', 'accept-encoding');
  if (file.gzip && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
    return reply.header('content-encoding', 'gzip').send(file.gzip);
  }
  return reply.send(file.body);
}

/** index.html with a fresh style nonce per load, announced to the app in a meta tag. */
function sendIndex(reply: FastifyReply, html: string) {
  const nonce = randomBytes(16).toString('base64');
  return reply
    .header('content-type', TYPES['.html']!)
    .header('cache-control', 'no-cache')
    .header('content-security-policy', consoleCsp(nonce))
    .send(html.replace('<head>', `<head>\n    <meta name="csp-nonce" content="${nonce}" />`));
}

export function registerConsole(app: FastifyInstance, dir: string = defaultConsoleDir()): void {
  const files = loadFiles(dir);
  const index = files.get('index.html');
  const indexHtml = index?.body.toString('utf8') ?? '';

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url === '/console' || request.url.startsWith(CONSOLE_PREFIX)) {
      if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', CONSOLE_CSP);
      reply
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('x-frame-options', 'DENY')
        .header('cross-origin-opener-policy', 'same-origin');
    }
    return payload;
  });

  app.get('/', { config: { action: 'public' }, schema: { hide: true } }, (_request, reply) =>
    reply.redirect(CONSOLE_PREFIX, 302),
  );
  const serve = (request: FastifyRequest, reply: FastifyReply) => {
    if (!index) {
      throw new GatewayError('not_found', {
        detail: `The console is not built (no ${dir}index.html): run \`npm run build\`.`,
      });
    }
    // The router ignores trailing slashes: /console and /console/ both land here.
    if (!request.url.startsWith(CONSOLE_PREFIX)) return reply.redirect(CONSOLE_PREFIX, 301);
    const path = (request.params as { '*'?: string })['*'] ?? '';
    if (path === '' || path === 'index.html') return sendIndex(reply, indexHtml);
    const file = files.get(path);
    if (file) return send(request, reply, file);
    // A missing hashed asset is a real 404; any other path is a client-side route of the app.
    if (path.startsWith('assets/')) throw new GatewayError('not_found');
    return sendIndex(reply, indexHtml);
  };
  // With ignoreTrailingSlash, this one route answers /console and /console/.
  app.get('/console/', { config: { action: 'public' }, schema: { hide: true } }, serve);
  app.get('/console/*', { config: { action: 'public' }, schema: { hide: true } }, serve);
}
