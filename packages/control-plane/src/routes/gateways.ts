import { parseDuration } from '@gatehouse/core';
import Type from 'typebox';
import { envScope } from '../auth/context.js';
import { ifMatchOf, setEtag } from '../http/etag.js';
import {
  EnvParams,
  errorResponses,
  Name,
  NoContent,
  NullableTimestamp,
  Page,
  PageQueryFields,
  StringEnum,
  Timestamp,
  Uuid,
} from '../http/schemas.js';
import { invalid } from '../http/validation.js';
import {
  deleteGateway,
  findGateway,
  GATEWAY_STATUSES,
  gatewayView,
  listGateways,
  registerGateway,
  revokeGateway,
  rotateGatewayToken,
} from '../services/gateways.js';
import { type App, type RouteDeps, typed } from './deps.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) => Type.Union([s, Type.Null()]);
const Capability = Type.Object({ name: Type.String(), version: Type.String(), kind: Type.String() });
const ReportedError = Type.Object({ at: Type.String(), message: Type.String() });

const GatewayView = Type.Object(
  {
    id: Uuid('Gateway id.'),
    name: Type.String(),
    tags: Type.Array(Type.String(), {
      description: 'Sharding tags: the gateway serves untagged APIs and APIs sharing a tag with it.',
    }),
    tokenPrefix: Type.String({ description: 'First characters of the current token.' }),
    status: StringEnum(GATEWAY_STATUSES, {
      description:
        '`online`: heartbeat within 1.5 intervals; `stale`: up to two missed; `offline`: more; `never-seen`: no heartbeat yet; `revoked`: tokens revoked.',
    }),
    lastSeenAt: NullableTimestamp('Last authenticated call.'),
    lastHeartbeatAt: NullableTimestamp('Last heartbeat.'),
    version: Nullable(Type.String({ description: 'Gateway software version.' })),
    hostname: Nullable(Type.String()),
    instanceId: Nullable(Type.String({ description: 'Process id of the last heartbeat (changes on restart).' })),
    configVersion: Nullable(Type.String({ description: 'Config version the gateway serves.' })),
    cursor: Nullable(Type.String({ description: 'Sync cursor the gateway holds.' })),
    appliedRevisions: Type.Record(Type.String(), Type.Integer(), {
      description: 'API id -> revision the gateway serves.',
    }),
    uptimeSeconds: Nullable(Type.Number()),
    requests: Nullable(Type.Record(Type.String(), Type.Number(), { description: 'Request counters.' })),
    backup: Nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'Last-known-good backup state.' })),
    capabilities: Nullable(Type.Array(Capability, { description: 'Policies and security types it supports.' })),
    errors: Type.Array(ReportedError, { description: 'Most recent errors reported, newest first.' }),
    previousTokenExpiresAt: NullableTimestamp('After a rotation: when the previous token stops working.'),
    revokedAt: NullableTimestamp('When its tokens were revoked.'),
    createdAt: Timestamp('Registered at.'),
    updatedAt: Timestamp('Last change.'),
  },
  { additionalProperties: false },
);
const WithToken = Type.Object(
  { ...GatewayView.properties, token: Type.String({ description: 'Shown once.' }) },
  { additionalProperties: false },
);
const GwParams = Type.Object(
  { env: EnvParams.properties.env, gatewayId: Uuid('Gateway id.') },
  { additionalProperties: false },
);

export function gatewayRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  const base = '/api/v1/environments/:env/gateways';
  const interval = deps.heartbeatIntervalMs;

  app.post(
    base,
    {
      config: { action: 'gateways:write' },
      schema: {
        tags: ['gateways'],
        summary: 'Register a gateway; answers its token once',
        params: EnvParams,
        body: Type.Object(
          {
            name: Name('Unique in the environment.'),
            tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: WithToken, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const { row, token } = await registerGateway(envScope(request, deps.db), request.body);
      setEtag(reply, row.id, row.rowVersion);
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ ...gatewayView(row, null, interval), token });
    },
  );

  app.get(
    base,
    {
      config: { action: 'gateways:read' },
      schema: {
        tags: ['gateways'],
        summary: 'List gateways with their status, last heartbeat, version, applied config and errors',
        params: EnvParams,
        querystring: Type.Object(PageQueryFields, { additionalProperties: false }),
        response: { 200: Page(GatewayView), ...errorResponses() },
      },
    },
    async (request) => listGateways(envScope(request, deps.db), request.query, interval),
  );

  app.get(
    `${base}/:gatewayId`,
    {
      config: { action: 'gateways:read' },
      schema: {
        tags: ['gateways'],
        summary: 'Get a gateway',
        params: GwParams,
        response: { 200: GatewayView, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { row, hb } = await findGateway(envScope(request, deps.db), request.params.gatewayId);
      setEtag(reply, row.id, row.rowVersion);
      return gatewayView(row, hb, interval);
    },
  );

  app.post(
    `${base}/:gatewayId/rotate-token`,
    {
      config: { action: 'gateways:write' },
      schema: {
        tags: ['gateways'],
        summary: 'Issue a new token; the old one keeps working for the grace period',
        params: GwParams,
        body: Type.Object(
          {
            gracePeriod: Type.Optional(
              Type.String({
                pattern: '^[0-9]+(ms|s|m|h|d)$',
                default: '1h',
                description: 'How long the old token keeps working (`0s`: not at all; at most 7d).',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: WithToken, ...errorResponses(409, 412) },
      },
    },
    async (request, reply) => {
      let graceMs: number;
      try {
        graceMs = parseDuration(request.body.gracePeriod ?? '1h');
      } catch {
        throw invalid('body.gracePeriod', 'must be a duration such as 1h');
      }
      const scope = envScope(request, deps.db);
      const { row, token } = await rotateGatewayToken(scope, request.params.gatewayId, graceMs, ifMatchOf(request));
      const { hb } = await findGateway(scope, row.id);
      setEtag(reply, row.id, row.rowVersion);
      reply.header('cache-control', 'no-store');
      return { ...gatewayView(row, hb, interval), token };
    },
  );

  app.post(
    `${base}/:gatewayId/revoke`,
    {
      config: { action: 'gateways:write' },
      schema: {
        tags: ['gateways'],
        summary: "Revoke the gateway's tokens now (its next call answers 401); the record stays",
        params: GwParams,
        response: { 200: GatewayView, ...errorResponses(412) },
      },
    },
    async (request, reply) => {
      const scope = envScope(request, deps.db);
      await revokeGateway(scope, request.params.gatewayId, ifMatchOf(request));
      const { row, hb } = await findGateway(scope, request.params.gatewayId);
      setEtag(reply, row.id, row.rowVersion);
      return gatewayView(row, hb, interval);
    },
  );

  app.delete(
    `${base}/:gatewayId`,
    {
      config: { action: 'gateways:write' },
      schema: {
        tags: ['gateways'],
        summary: 'Deregister a gateway (its token stops working)',
        params: GwParams,
        response: { 204: NoContent, ...errorResponses(412) },
      },
    },
    async (request, reply) => {
      await deleteGateway(envScope(request, deps.db), request.params.gatewayId, ifMatchOf(request));
      return reply.code(204).send(null);
    },
  );
}
