/**
 * The endpoints gateways call in hybrid mode (docs/hybrid-protocol.md), authenticated by the
 * gateway token; the environment comes from the token. Gateways always pull: config (`sync`), the
 * signing key, change events (SSE), and they push heartbeats and analytics.
 */
import { formatDuration } from '@gatehouse/core';
import Type from 'typebox';
import { gatewayOf } from '../auth/gateway-token.js';
import { errorResponses } from '../http/schemas.js';
import { formatCursor, headSeq } from '../hybrid/changes.js';
import { changeBus, type HybridEvent } from '../hybrid/events.js';
import { syncMessage } from '../hybrid/sync.js';
import { ingestAnalytics, MAX_ANALYTICS_BATCH } from '../services/analytics.js';
import { recordHeartbeat } from '../services/heartbeats.js';
import { type App, type RouteDeps, typed } from './deps.js';

const GATEWAY_SECURITY = [{ gatewayToken: [] }];
const Signature = Type.Object({ alg: Type.Literal('Ed25519'), keyId: Type.String(), value: Type.String() });
const gatewayErrors = () => {
  const { 403: _forbidden, 404: _notFound, ...rest } = errorResponses();
  return rest;
};

// Bodies sent by gateways accept unknown members (ignored), so a newer gateway can talk to an older control plane.
const Heartbeat = Type.Object(
  {
    instanceId: Type.Optional(Type.String({ maxLength: 200, description: 'Id of the gateway process.' })),
    version: Type.Optional(Type.String({ maxLength: 100 })),
    hostname: Type.Optional(Type.String({ maxLength: 255 })),
    configVersion: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    cursor: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    appliedRevisions: Type.Optional(
      Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { description: 'API id -> revision served.' }),
    ),
    uptimeSeconds: Type.Optional(Type.Number({ minimum: 0 })),
    requests: Type.Optional(Type.Record(Type.String(), Type.Number())),
    capabilities: Type.Optional(
      Type.Array(
        Type.Object({
          name: Type.String({ maxLength: 200 }),
          version: Type.String({ maxLength: 100 }),
          kind: Type.String({ maxLength: 50 }),
        }),
        { maxItems: 1000 },
      ),
    ),
    backup: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    errors: Type.Optional(
      Type.Array(Type.Object({ at: Type.String({ maxLength: 64 }), message: Type.String({ maxLength: 2000 }) }), {
        maxItems: 100,
      }),
    ),
  },
  { additionalProperties: true },
);

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) =>
  Type.Optional(Type.Union([s, Type.Null()]));
const AnalyticsRecord = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Unique per request: replays are deduplicated on it.' }),
    time: Type.String({ format: 'date-time' }),
    api: Nullable(Type.String({ maxLength: 200 })),
    plan: Nullable(Type.String({ maxLength: 200 })),
    application: Nullable(Type.String({ maxLength: 200 })),
    subscription: Nullable(Type.String({ maxLength: 200 })),
    method: Type.String({ minLength: 1, maxLength: 16 }),
    route: Nullable(Type.String({ maxLength: 500 })),
    status: Type.Integer({ minimum: 100, maximum: 599 }),
    latencyMs: Type.Number({ minimum: 0 }),
    upstreamLatencyMs: Nullable(Type.Number({ minimum: 0 })),
    bytesIn: Nullable(Type.Integer({ minimum: 0 })),
    bytesOut: Nullable(Type.Integer({ minimum: 0 })),
    clientIp: Nullable(Type.String({ maxLength: 64 })),
    errorCode: Nullable(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: true },
);

export function gatewayApiRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  const base = '/api/v1/gateway';
  const bus = changeBus(deps.db);

  app.get(
    `${base}/sync`,
    {
      config: { action: 'gateway:config' },
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
        response: {
          200: Type.Object(
            {
              kind: Type.Union([Type.Literal('snapshot'), Type.Literal('delta'), Type.Literal('unchanged')]),
              cursor: Type.String(),
              signature: Signature,
            },
            { additionalProperties: true, description: 'See docs/hybrid-protocol.md for each kind.' },
          ),
          ...gatewayErrors(),
        },
      },
    },
    async (request, reply) => {
      const gateway = gatewayOf(request);
      const message = await syncMessage(deps.db, gateway, request.query.cursor);
      // Sent pre-serialised: the response schema must not reshape what the signature covers.
      reply.type('application/json').header('cache-control', 'no-store');
      return reply.send(JSON.stringify(deps.signer.sign(message)) as never);
    },
  );

  app.get(
    `${base}/signing-key`,
    {
      config: { action: 'gateway:config' },
      schema: {
        tags: ['gateway protocol'],
        summary: 'The public key verifying config messages',
        security: GATEWAY_SECURITY,
        response: {
          200: Type.Object(
            { keyId: Type.String(), alg: Type.Literal('Ed25519'), publicKeyPem: Type.String() },
            { additionalProperties: false },
          ),
          ...gatewayErrors(),
        },
      },
    },
    async () => ({ keyId: deps.signer.keyId, alg: 'Ed25519' as const, publicKeyPem: deps.signer.publicKeyPem }),
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
      const cursor = formatCursor(await headSeq(deps.db, gateway.envId));
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const changed = (c: string) => res.write(`event: changed\ndata: ${JSON.stringify({ cursor: c })}\n\n`);
      changed(cursor);
      const unsubscribe = bus.subscribe(gateway.envId, (event: HybridEvent) => {
        if (event.type === 'changed') changed(event.cursor);
        else if (event.gatewayId === gateway.id) end();
      });
      const ping = setInterval(() => res.write(': ping\n\n'), deps.eventsPingMs);
      const end = () => {
        if (!streams.delete(end)) return;
        clearInterval(ping);
        unsubscribe();
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
        response: {
          200: Type.Object(
            { serverTime: Type.String({ format: 'date-time' }), heartbeatInterval: Type.String() },
            { additionalProperties: false },
          ),
          ...gatewayErrors(),
        },
      },
    },
    async (request) => {
      const now = new Date();
      await recordHeartbeat(deps.db, gatewayOf(request).id, request.body, now);
      return { serverTime: now.toISOString(), heartbeatInterval: formatDuration(deps.heartbeatIntervalMs) };
    },
  );

  app.post(
    `${base}/analytics`,
    {
      config: { action: 'gateway:report' },
      schema: {
        tags: ['gateway protocol'],
        summary: 'Ingest a batch of request records; replays are deduplicated on record id',
        security: GATEWAY_SECURITY,
        body: Type.Object(
          { records: Type.Array(AnalyticsRecord, { maxItems: MAX_ANALYTICS_BATCH }) },
          { additionalProperties: true },
        ),
        response: {
          202: Type.Object({ accepted: Type.Integer(), duplicates: Type.Integer() }, { additionalProperties: false }),
          ...gatewayErrors(),
        },
      },
    },
    async (request, reply) => {
      const result = await ingestAnalytics(deps.db, gatewayOf(request), request.body.records);
      return reply.code(202).send(result);
    },
  );
}
