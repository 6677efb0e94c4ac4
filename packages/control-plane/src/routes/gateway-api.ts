/**
 * The endpoints gateways call in hybrid mode (docs/hybrid-protocol.md), authenticated by the
 * gateway token; the environment comes from the token. Gateways always pull: config (`sync`), the
 * signing key, change events (SSE), and they push heartbeats and analytics.
 */

import { Readable } from 'node:stream';
import {
  AnalyticsBatch,
  EXPECT_CURSOR_HEADER,
  Heartbeat,
  HeartbeatAnswer,
  MAX_ANALYTICS_BATCH,
  negotiateProtocol,
  PROTOCOL_HEADER,
  SigningKeyAnswer,
  SyncMessage,
  SyncRequestHeaders,
} from '@gatehouse/config';
import { formatDuration, type Logger } from '@gatehouse/core';
import Type from 'typebox';
import { gatewayOf } from '../auth/gateway-token.js';
import { errorResponses } from '../http/schemas.js';
import { validatorCompiler } from '../http/validation.js';
import { startChangeRelay } from '../hybrid/change-relay.js';
import { formatCursor } from '../hybrid/changes.js';
import { changeBus, type HybridEvent } from '../hybrid/events.js';
import { headCache } from '../hybrid/head-cache.js';
import { type FanOutStream, PacedFanOut } from '../hybrid/paced-fan-out.js';
import { sealAnswer } from '../hybrid/seal.js';
import { syncMessage } from '../hybrid/sync.js';
import { ingestAnalytics } from '../services/analytics-ingest.js';
import { HeartbeatWriter } from '../services/heartbeats.js';
import { type App, type RouteDeps, typed } from './deps.js';

const GATEWAY_SECURITY = [{ gatewayToken: [] }];
/** The answer depends on both: a cache in between must not hand one gateway's version to another. */
const VARY = `accept-encoding, ${PROTOCOL_HEADER}`;
const COPY_BELOW_BYTES = 256 * 1024;
const gatewayErrors = () => {
  const { 403: _forbidden, 404: _notFound, ...rest } = errorResponses();
  return rest;
};

export function gatewayApiRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  const base = '/api/v1/gateway';
  const bus = changeBus(deps.db);
  const heartbeats = new HeartbeatWriter(deps.protocolDb);
  const heads = headCache(deps.protocolDb, deps.db);
  // One window for every environment's streams: they share the one thread (hybrid/paced-fan-out.ts).
  const fanOut = new PacedFanOut(deps.fanOut);
  // Events from the other replicas on this database (PostgreSQL LISTEN/NOTIFY).
  const relay = startChangeRelay(deps.db, root.log as unknown as Logger);
  root.addHook('onReady', async () => {
    await relay.ready;
  });
  root.addHook('onClose', async () => {
    await relay.close();
  });

  app.get(
    `${base}/sync`,
    {
      config: { action: 'gateway:config' },
      // Syncs in progress and answered (whatever the outcome; `close` also when aborted) pace the
      // fan-out of change events.
      onRequest: (_request, reply, done) => {
        fanOut.arrived();
        let open = true;
        const answered = () => {
          if (open) fanOut.answered();
          open = false;
        };
        reply.raw.once('finish', answered).once('close', answered);
        done();
      },
      schema: {
        tags: ['gateway protocol'],
        summary: 'Config for this gateway: snapshot, credential delta since `cursor`, or unchanged (signed)',
        security: GATEWAY_SECURITY,
        querystring: Type.Object(
          {
            cursor: Type.Optional(Type.String({ maxLength: 100, description: 'Cursor of the last message applied.' })),
          },
          { additionalProperties: false },
        ),
        headers: SyncRequestHeaders,
        response: { 200: SyncMessage, ...gatewayErrors() },
      },
    },
    async (request, reply) => {
      const gateway = gatewayOf(request);
      const protocol = negotiateProtocol(request.headers[PROTOCOL_HEADER]);
      const expected = request.headers[EXPECT_CURSOR_HEADER];
      const head = await heads.get(gateway.envId, typeof expected === 'string' ? expected : undefined);
      const answer = await syncMessage(deps.protocolDb, gateway, request.query.cursor, protocol, head);
      // Sent pre-serialised: the response schema must not reshape what the signature covers.
      reply.type('application/json').header('cache-control', 'no-store').header('vary', VARY);
      const sealed = await sealAnswer(deps.signer, answer, acceptsGzip(request.headers['accept-encoding']));
      if (sealed.gzipped) reply.header('content-encoding', 'gzip');
      if (typeof sealed.bytes === 'string') return reply.send(sealed.bytes as never);
      const length = sealed.bytes.reduce((n, b) => n + b.length, 0);
      // A small answer is cheaper copied once than streamed; a large shared document is not copied per gateway.
      if (length <= COPY_BELOW_BYTES) return reply.send(Buffer.concat(sealed.bytes, length) as never);
      reply.header('content-length', length);
      return reply.send(Readable.from(sealed.bytes) as never);
    },
  );

  app.get(
    `${base}/signing-key`,
    {
      config: { action: 'gateway:config' },
      schema: {
        tags: ['gateway protocol'],
        summary: 'The public keys verifying config messages (current first)',
        security: GATEWAY_SECURITY,
        response: { 200: SigningKeyAnswer, ...gatewayErrors() },
      },
    },
    async () => {
      const keys = await deps.signer.publishedKeys();
      const current = keys[0]!;
      return { keyId: current.keyId, alg: 'Ed25519' as const, publicKeyPem: current.publicKeyPem, keys };
    },
  );

  const streams = new Set<() => void>();
  // Open event streams would hold the server open: end them when the app closes.
  root.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });

  app.get(
    `${base}/events`,
    {
      config: { action: 'gateway:config' },
      schema: {
        tags: ['gateway protocol'],
        summary: 'Server-sent events: `changed` with the new cursor whenever this environment changes',
        description:
          'The first event carries the current cursor. A `: ping` comment line is sent periodically. The stream ends when the gateway is revoked.',
        security: GATEWAY_SECURITY,
        response: { 200: Type.String({ description: 'text/event-stream' }), ...gatewayErrors() },
      },
    },
    async (request, reply) => {
      const gateway = gatewayOf(request);
      const cursor = formatCursor(await heads.get(gateway.envId));
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const stream: FanOutStream = {
        send: (c) => res.write(`event: changed\ndata: ${JSON.stringify({ cursor: c })}\n\n`),
      };
      // The first event at once: a gateway (re)connecting syncs on opening in any case.
      stream.send(cursor);
      const unsubscribe = bus.subscribe(gateway.envId, (event: HybridEvent) => {
        if (event.type === 'changed') fanOut.notify(stream, event.cursor);
        else if (event.type === 'gateway-revoked' && event.gatewayId === gateway.id) end();
      });
      const ping = setInterval(() => res.write(': ping\n\n'), deps.eventsPingMs);
      const end = () => {
        if (!streams.delete(end)) return;
        clearInterval(ping);
        unsubscribe();
        fanOut.forget(stream);
        res.end();
      };
      streams.add(end);
      res.on('close', end);
      res.on('error', end);
    },
  );

  app.post(
    `${base}/heartbeat`,
    {
      config: { action: 'gateway:report' },
      schema: {
        tags: ['gateway protocol'],
        summary: "Report this gateway's state; answers the expected heartbeat interval",
        security: GATEWAY_SECURITY,
        body: Heartbeat,
        response: { 200: HeartbeatAnswer, ...gatewayErrors() },
      },
    },
    async (request) => {
      const now = new Date();
      await heartbeats.record(gatewayOf(request).id, request.body, now);
      return { serverTime: now.toISOString(), heartbeatInterval: formatDuration(deps.heartbeatIntervalMs) };
    },
  );

  app.post(
    `${base}/analytics`,
    {
      config: { action: 'gateway:report' },
      // Ajv checks only the envelope here; ingest checks each record against the same schema in its
      // one pass over the batch (services/analytics-record-check.ts): Ajv over 5,000 records cost
      // about as much control-plane CPU as storing them.
      validatorCompiler: (route) =>
        validatorCompiler(route.httpPart === 'body' ? { ...route, schema: AnalyticsEnvelope } : route),
      schema: {
        tags: ['gateway protocol'],
        summary: 'Ingest a batch of request records; replays are deduplicated on record id',
        security: GATEWAY_SECURITY,
        body: AnalyticsBatch,
        response: {
          202: Type.Object(
            {
              accepted: Type.Integer(),
              duplicates: Type.Integer(),
              rejected: Type.Integer({ description: 'Dated more than a day ahead or 400 days back: not stored.' }),
            },
            { additionalProperties: false },
          ),
          ...gatewayErrors(),
        },
      },
    },
    async (request, reply) => {
      const result = await ingestAnalytics(deps.protocolDb, gatewayOf(request), request.body.records);
      return reply.code(202).send(result);
    },
  );
}

/** Whether the client takes gzip (`Accept-Encoding: gzip`, not `gzip;q=0`). */
const AnalyticsEnvelope = Type.Object(
  { records: Type.Array(Type.Unknown(), { maxItems: MAX_ANALYTICS_BATCH }) },
  { additionalProperties: true },
);

export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  return value.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
