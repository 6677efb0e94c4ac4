/**
 * Serves a built single-page app (the console at /console/, the developer portal at /portal/) from
 * the same origin as /api/v1, so session cookies and CSRF headers work without CORS. Files are read
 * and gzipped once at start (a build is a few hundred KB): hashed assets are cached for a year,
 * index.html is revalidated on every load so a new build is picked up at once. An app may have data
 * put into its index.html (`index` below: the portal's settings and first catalog page), as a JSON
 * data island the app reads at start, so its first screen needs no API round trip. Every answer carries
 * a strict Content-Security-Policy: scripts, styles and connections from this origin only (plus what
 * the app adds, such as the portal's try-it gateway), nothing inline.
 */

import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GatewayError } from '@gatehouse/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface CspOptions {
  /** Per-load nonce for <style> elements the app injects (the console's code editor). */
  styleNonce?: string | undefined;
  /** Origins the app may call besides its own (the portal's try-it gateway). */
  connectSrc?: readonly string[] | undefined;
}

export const appCsp = (options: CspOptions = {}) =>
  [
    "default-src 'none'",
    "script-src 'self'",
    options.styleNonce ? `style-src 'self' 'nonce-${options.styleNonce}'` : "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    ["connect-src 'self'", ...(options.connectSrc ?? [])].join(' '),
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');

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

/** What index.html gets for one client-side path (e.g. `default/apis`). */
export interface IndexExtras {
  /** Origins the page may connect to besides its own. */
  connectSrc?: readonly string[] | undefined;
  /** JSON for the app, in `<script type="application/json" id="boot-data">` (never executed, so CSP-safe). */
  data?: unknown;
}

export interface StaticAppOptions {
  /** URL prefix with both slashes, e.g. `/console/`. */
  prefix: string;
  dir: string;
  /** Shown when the app is not built, e.g. `The console`. */
  label: string;
  /** Called per index.html; `data` says whether this build has the data island's place (see DATA_ISLAND). */
  index?: ((path: string, query: Readonly<Record<string, unknown>>, data: boolean) => Promise<IndexExtras>) | undefined;
}

/** Where an app's index.html asks for its data: an empty JSON script element, filled per load. */
export const DATA_ISLAND = '<script type="application/json" id="boot-data"></script>';

/**
 * JSON safe inside a <script> element: every `<` escaped, so no `</script>` or `<!--` in the data
 * (an API description, say) can end the element or change how the HTML parser reads it.
 */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c');
}

export function registerStaticApp(app: FastifyInstance, options: StaticAppOptions): void {
  const { prefix, dir } = options;
  const bare = prefix.slice(0, -1);
  const files = loadFiles(dir);
  const index = files.get('index.html');
  const indexHtml = index?.body.toString('utf8') ?? '';
  const hasIsland = indexHtml.includes(DATA_ISLAND);

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url === bare || request.url.startsWith(prefix)) {
      if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', appCsp());
      reply
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('x-frame-options', 'DENY')
        .header('cross-origin-opener-policy', 'same-origin');
    }
    return payload;
  });

  /** index.html with a fresh style nonce per load, announced to the app in a meta tag, and the app's data. */
  const sendIndex = async (request: FastifyRequest, reply: FastifyReply, path: string) => {
    const nonce = randomBytes(16).toString('base64');
    const query = (request.query ?? {}) as Record<string, unknown>;
    const extras = options.index ? await options.index(path, query, hasIsland) : {};
    let html = indexHtml.replace('<head>', `<head>\n    <meta name="csp-nonce" content="${nonce}" />`);
    if (hasIsland && extras.data !== undefined) {
      const island = `<script type="application/json" id="boot-data">${jsonForScript(extras.data)}</script>`;
      html = html.replace(DATA_ISLAND, () => island);
    }
    return reply
      .header('content-type', TYPES['.html']!)
      .header('cache-control', 'no-cache')
      .header('content-security-policy', appCsp({ styleNonce: nonce, connectSrc: extras.connectSrc }))
      .send(html);
  };

  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!index) {
      throw new GatewayError('not_found', {
        detail: `${options.label} is not built (no ${join(dir, 'index.html')}): run \`npm run build\`.`,
      });
    }
    // The router ignores trailing slashes: /console and /console/ both land here.
    if (!request.url.startsWith(prefix)) return reply.redirect(prefix, 301);
    const path = (request.params as { '*'?: string })['*'] ?? '';
    if (path === '' || path === 'index.html') return sendIndex(request, reply, '');
    const file = files.get(path);
    if (file) return send(request, reply, file);
    // A missing hashed asset is a real 404; any other path is a client-side route of the app.
    if (path.startsWith('assets/')) throw new GatewayError('not_found');
    return sendIndex(request, reply, path);
  };
  // With ignoreTrailingSlash, this one route answers /console and /console/.
  app.get(prefix, { config: { action: 'public' }, schema: { hide: true } }, serve);
  app.get(`${prefix}*`, { config: { action: 'public' }, schema: { hide: true } }, serve);
}
