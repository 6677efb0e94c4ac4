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
  Timestamp,
  Uuid,
} from '../http/schemas.js';
import { deleteGateway, findGateway, gatewayView, listGateways, registerGateway } from '../services/gateways.js';
import { type App, type RouteDeps, typed } from './deps.js';

const GatewayView = Type.Object(
  {
    id: Uuid('Gateway id.'),
    name: Type.String(),
    tags: Type.Array(Type.String(), { description: 'Sharding tags: the gateway serves APIs with matching tags.' }),
    tokenPrefix: Type.String(),
    status: Type.Union([Type.Literal('never-seen'), Type.Literal('seen')]),
    lastSeenAt: NullableTimestamp('Last contact (hybrid mode).'),
    createdAt: Timestamp('Registered at.'),
    updatedAt: Timestamp('Last change.'),
  },
  { additionalProperties: false },
);
const GwParams = Type.Object(
  { env: EnvParams.properties.env, gatewayId: Uuid('Gateway id.') },
  { additionalProperties: false },
);

export function gatewayRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  const base = '/api/v1/environments/:env/gateways';

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
        response: {
          201: Type.Object(
            { ...GatewayView.properties, token: Type.String({ description: 'Shown once.' }) },
            { additionalProperties: false },
          ),
          ...errorResponses(409),
        },
      },
    },
    async (request, reply) => {
      const { row, token } = await registerGateway(envScope(request, deps.db), request.body);
      setEtag(reply, row.id, row.rowVersion);
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ ...gatewayView(row), token });
    },
  );

  app.get(
    base,
    {
      config: { action: 'gateways:read' },
      schema: {
        tags: ['gateways'],
        summary: 'List registered gateways',
        params: EnvParams,
        querystring: Type.Object(PageQueryFields, { additionalProperties: false }),
        response: { 200: Page(GatewayView), ...errorResponses() },
      },
    },
    async (request) => listGateways(envScope(request, deps.db), request.query),
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
      const row = await findGateway(envScope(request, deps.db), request.params.gatewayId);
      setEtag(reply, row.id, row.rowVersion);
      return gatewayView(row);
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
