import type { IncomingHttpHeaders } from 'node:http';
import { parseDuration, parseSize } from '@gatehouse/core';
import { Agent, type Dispatcher, request } from 'undici';
import { definePolicy } from '../sdk/define.js';
import type { RequestContext } from '../sdk/types.js';
import { trafficShadowingContract } from './contract.js';
import type { TrafficShadowingConfig } from './schema.js';

/** Connection-level headers never travel to another hop; content-length is recomputed from the copy. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
  'content-length',
  'expect',
]);

function copyHeaders(
  source: IncomingHttpHeaders,
  removed: ReadonlySet<string>,
  added: Record<string, string>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || HOP_BY_HOP.has(name) || removed.has(name)) continue;
    out[name] = value;
  }
  return Object.assign(out, added);
}

export const trafficShadowingPolicy = definePolicy<TrafficShadowingConfig>({
  ...trafficShadowingContract,
  create(config, env) {
    const base = new URL(config.url);
    const basePath = base.pathname.replace(/\/+$/, '');
    const timeoutMs = parseDuration(config.timeout);
    const maxBodySize = parseSize(config.maxBodySize);
    const removed = new Set(config.removeHeaders.map((h) => h.toLowerCase()));
    const added = Object.fromEntries(Object.entries(config.headers).map(([k, v]) => [k.toLowerCase(), v]));
    // Own pool, sized to the concurrency cap: shadow traffic must not compete with the real upstream's.
    const dispatcher = new Agent({ connections: config.maxConcurrent, connect: { timeout: timeoutMs } });
    let inFlight = 0;

    /** The body to copy: undefined for none, null when the request cannot be copied faithfully. */
    const bodyFor = async (ctx: RequestContext): Promise<Buffer | undefined | null> => {
      if (!ctx.request.hasBody || !config.includeBody) return undefined;
      const declared = Number(ctx.request.headers['content-length'] ?? Number.NaN);
      // Chunked or large bodies are streamed to the upstream; buffering them for a copy is not worth it.
      if (!Number.isFinite(declared) || declared > maxBodySize) return null;
      return ctx.request.readBody(maxBodySize);
    };

    const send = (ctx: RequestContext, body: Buffer | undefined) => {
      const target = new URL(base);
      target.pathname = basePath + ctx.request.path;
      target.search = ctx.request.rawQuery;
      inFlight++;
      request(target, {
        method: ctx.request.method as Dispatcher.HttpMethod,
        headers: copyHeaders(ctx.request.headers, removed, added),
        body,
        dispatcher,
        signal: AbortSignal.timeout(timeoutMs),
      })
        .then((response) => response.body.dump())
        .catch((error: unknown) => {
          env.logger.warn(
            { policy: 'traffic-shadowing', target: base.host, requestId: ctx.id, err: (error as Error).message },
            'shadow request failed',
          );
        })
        .finally(() => {
          inFlight--;
        });
    };

    return {
      async request(ctx) {
        if (config.percentage < 100 && Math.random() * 100 >= config.percentage) return;
        if (inFlight >= config.maxConcurrent) {
          ctx.log.debug({ policy: 'traffic-shadowing' }, 'shadow dropped: too many in flight');
          return;
        }
        let body: Buffer | undefined | null;
        try {
          body = await bodyFor(ctx);
        } catch (error) {
          // Reading failed (client gone, body larger than declared): the real request will report it.
          ctx.log.debug(
            { policy: 'traffic-shadowing', err: (error as Error).message },
            'shadow skipped: body unreadable',
          );
          return;
        }
        if (body === null) {
          ctx.log.debug({ policy: 'traffic-shadowing' }, 'shadow skipped: body too large or of unknown length');
          return;
        }
        send(ctx, body);
      },
      close: () => dispatcher.destroy(),
    };
  },
});
