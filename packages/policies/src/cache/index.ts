import type { OutgoingHttpHeaders } from 'node:http';
import { parseDuration, parseSize, sha256Hex } from '@gatehouse/core';
import type { CachedResponse } from '../sdk/cache-store.js';
import { definePolicy } from '../sdk/define.js';
import { type RequestContext, RequestLocal } from '../sdk/types.js';
import { parseCacheControl, responseLifetimeMs, sharableDespiteCredentials, varyNames } from './cache-control.js';
import { cacheContract } from './contract.js';
import { callerIdentity, primaryKey, variantKey, varyMatches, varyValues } from './key.js';
import type { CacheConfig } from './schema.js';

type CacheStatus = 'HIT' | 'MISS' | 'BYPASS';

/** What the request phase decided, read back by the response phase of the same request. */
interface Pending {
  status: CacheStatus;
  /** Undefined when the response must not be stored (client sent no-store). */
  key: string | undefined;
  /** The request carried credentials but the key is shared by other callers (RFC 9111 3.5). */
  sharedWithCredentials: boolean;
}

/** Headers that describe the connection or this cache's own answer, never part of a stored response. */
const UNSTORED_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'age', 'date', 'x-request-id']);

function storedHeaders(headers: OutgoingHttpHeaders, statusHeader: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || UNSTORED_HEADERS.has(name) || name === statusHeader) continue;
    out[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

export const cachePolicy = definePolicy<CacheConfig>({
  ...cacheContract,
  create(config, env) {
    const store = env.responseCache;
    const ttlMs = parseDuration(config.ttl);
    const maxEntrySize = parseSize(config.maxEntrySize);
    const methods = new Set<string>(config.methods);
    const statuses = new Set(config.statuses);
    const statusHeader = config.statusHeader.toLowerCase();
    const keyConfig = { keyHeaders: config.keyHeaders.map((h) => h.toLowerCase()), keyBy: config.keyBy };
    const namespace = `cache:${env.scope.key}:`;
    const keyedByCaller = config.keyBy.includes('caller');
    // Keyed by the request object, so the entry goes away with the request.
    const pendingByRequest = new RequestLocal<Pending>('cache');

    // The cache is an optimisation: a store outage turns into misses, never into failed requests.
    const read = async (key: string, ctx: RequestContext): Promise<CachedResponse | undefined> => {
      try {
        const entry = await store.get(key);
        return entry && entry.expiresAt > Date.now() ? entry : undefined;
      } catch (error) {
        ctx.log.warn(
          { policy: 'cache', err: (error as Error).message },
          'response cache read failed; treating as a miss',
        );
        return undefined;
      }
    };
    const write = (key: string, entry: CachedResponse, ctx: RequestContext) => {
      store.set(key, entry).catch((error: unknown) => {
        ctx.log.warn({ policy: 'cache', err: (error as Error).message }, 'response cache write failed');
      });
    };

    const lookup = async (key: string, ctx: RequestContext): Promise<CachedResponse | undefined> => {
      const entry = await read(key, ctx);
      if (!entry?.vary || varyMatches(entry.vary, ctx.request.headers)) return entry;
      // The primary entry holds another variant; it tells which headers vary, so look the right one up.
      const variant = await read(variantKey(key, varyValues(ctx.request.headers, Object.keys(entry.vary))), ctx);
      return variant?.vary && varyMatches(variant.vary, ctx.request.headers) ? variant : undefined;
    };

    const bodyHash = async (ctx: RequestContext): Promise<string> => {
      if (ctx.request.method !== 'POST' || !ctx.request.hasBody) return '';
      return sha256Hex(await ctx.request.readBody());
    };

    return {
      async request(ctx) {
        if (!methods.has(ctx.request.method)) return;
        const cc = config.requestCacheControl ? parseCacheControl(ctx.request.headers['cache-control']) : new Map();
        if (cc.has('no-store')) {
          ctx.setLocal(pendingByRequest, { status: 'BYPASS', key: undefined, sharedWithCredentials: false });
          return;
        }
        const noCache =
          cc.has('no-cache') ||
          (config.requestCacheControl && /no-cache/i.test(String(ctx.request.headers.pragma ?? '')));
        const key = primaryKey(namespace, ctx, keyConfig, await bodyHash(ctx));
        if (!noCache) {
          const entry = await lookup(key, ctx);
          if (entry) {
            const headers: OutgoingHttpHeaders = {
              ...entry.headers,
              age: String(Math.max(0, Math.floor((Date.now() - entry.storedAt) / 1000))),
            };
            if (statusHeader) headers[statusHeader] = 'HIT';
            if (ctx.request.method === 'HEAD') {
              ctx.respond(entry.status, headers, '');
              // A HEAD answer describes the GET one (RFC 9110 9.3.2): its length, not the empty body's.
              ctx.response.setHeader('content-length', String(entry.body.length));
            } else ctx.respond(entry.status, headers, entry.body);
            return;
          }
        }
        const sharedWithCredentials = !keyedByCaller && callerIdentity(ctx) !== '';
        ctx.setLocal(pendingByRequest, { status: noCache ? 'BYPASS' : 'MISS', key, sharedWithCredentials });
      },

      async response(ctx) {
        const pending = ctx.getLocal(pendingByRequest);
        // Hits and gateway answers (errors, mocks) were not fetched for this cache.
        if (!pending || ctx.response.fromGateway) return;
        const { response } = ctx;
        if (statusHeader) response.headers[statusHeader] = pending.status;
        if (pending.key === undefined || ctx.request.method === 'HEAD' || !statuses.has(response.status)) return;
        if (pending.sharedWithCredentials && !sharableDespiteCredentials(response.headers)) return;
        const lifetime = responseLifetimeMs(response.headers, ttlMs, config.useUpstreamCacheControl);
        if (lifetime === undefined) return;
        const declared = response.headers['content-length'];
        if (declared === undefined ? !config.bufferUnknownLength : Number(declared) > maxEntrySize) return;
        const body = await response.readBody(declared === undefined ? env.maxBodyBuffer : maxEntrySize);
        if (body.length > maxEntrySize) return;

        const now = Date.now();
        const names = varyNames(response.headers);
        const entry: CachedResponse = {
          status: response.status,
          headers: storedHeaders(response.headers, statusHeader),
          body,
          storedAt: now,
          expiresAt: now + lifetime,
        };
        if (names.length > 0) {
          entry.vary = varyValues(ctx.request.headers, names);
          write(variantKey(pending.key, entry.vary), entry, ctx);
        }
        write(pending.key, entry, ctx);
      },
    };
  },
});
