/**
 * The pipeline's context for a routed request: the request as policies see it (client address through trusted
 * proxies, canonical path, forwardable headers) and the context that carries it through the phases.
 */
import type { Logger } from '@gatehouse/core';
import { forwardedClient, peerAddress, peerTrusted } from './client-address.js';
import type { CompiledConfig } from './compile.js';
import { type ClientRequest, GatewayContext, ProxyRequest } from './context.js';
import { forwardableRequestHeaders } from './headers.js';
import type { Routed } from './routing.js';

export function createExchangeContext(
  config: CompiledConfig,
  req: ClientRequest,
  routed: Routed,
  requestId: string,
  logger: Logger,
  startedAt: number,
): GatewayContext {
  const settings = config.settings;
  const peer = peerAddress(req);
  const viaTrustedProxy = peerTrusted(settings.trustProxy, peer);
  const request = new ProxyRequest({
    raw: req,
    method: req.method!,
    originalPath: routed.pathname,
    path: routed.forwardPath,
    rawQuery: routed.rawQuery,
    headers: forwardableRequestHeaders(req.headers),
    clientIp: viaTrustedProxy ? forwardedClient(req, settings.trustProxy, peer) : peer,
    peer,
    viaTrustedProxy,
    host: routed.host ?? '',
    protocol: (req.socket as { encrypted?: boolean } | null)?.encrypted ? 'https' : 'http',
    maxBodyBuffer: settings.maxBodyBuffer,
  });
  const ctx = new GatewayContext(requestId, request, routed.api, logger, startedAt, settings.maxBodyBuffer);
  ctx.route = routed.route.ref;
  if (routed.params !== undefined) ctx.params = routed.params;
  return ctx;
}
