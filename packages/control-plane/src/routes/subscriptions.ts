import { DURATION_PATTERN, parseDuration } from '@gatehouse/core';
import Type from 'typebox';
import { envScope } from '../auth/context.js';
import {
  EnvParams,
  errorResponses,
  NoContent,
  NullableTimestamp,
  Page,
  PageQueryFields,
  Slug,
  SortParam,
  StringEnum,
  Timestamp,
  Uuid,
} from '../http/schemas.js';
import { createKey, keyView, listKeys, revokeKey, rotateKey } from '../services/api-keys.js';
import {
  findSubscription,
  listSubscriptions,
  SUBSCRIPTION_STATUSES,
  subscriptionView,
  transition,
} from '../services/subscriptions.js';
import { type App, type RouteDeps, typed } from './deps.js';

const Status = StringEnum(SUBSCRIPTION_STATUSES);
export const SubscriptionView = Type.Object(
  {
    id: Uuid('Subscription id.'),
    applicationId: Uuid('Application id.'),
    apiId: Slug('API id.'),
    planId: Slug('Plan id.'),
    status: Status,
    reason: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp('Requested at.'),
    updatedAt: Timestamp('Last change.'),
    reviewedAt: NullableTimestamp('Accepted or rejected at.'),
    closedAt: NullableTimestamp('Closed at.'),
  },
  { additionalProperties: false },
);
const KeyView = Type.Object(
  {
    id: Uuid('Key id.'),
    prefix: Type.String({ description: 'First characters of the key.' }),
    status: Type.Union([
      Type.Literal('active'),
      Type.Literal('expiring'),
      Type.Literal('expired'),
      Type.Literal('revoked'),
    ]),
    expiresAt: NullableTimestamp('The key stops working at this time.'),
    revokedAt: NullableTimestamp('Revoked at.'),
    replacedBy: Type.Union([Uuid('Key that replaced it (rotation).'), Type.Null()]),
    createdAt: Timestamp('Creation time.'),
  },
  { additionalProperties: false },
);
const NewKey = Type.Object(
  { ...KeyView.properties, key: Type.String({ description: 'The key: shown in this answer only.' }) },
  { additionalProperties: false },
);

const SubParams = Type.Object(
  { env: EnvParams.properties.env, subId: Uuid('Subscription id.') },
  { additionalProperties: false },
);
const KeyParams = Type.Object({ ...SubParams.properties, keyId: Uuid('Key id.') }, { additionalProperties: false });

export function subscriptionRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  const base = '/api/v1/environments/:env/subscriptions';

  app.get(
    base,
    {
      config: { action: 'subscriptions:read' },
      schema: {
        tags: ['subscriptions'],
        summary: 'List subscriptions (consumers: of their applications)',
        params: EnvParams,
        querystring: Type.Object(
          {
            ...PageQueryFields,
            sort: SortParam(['createdAt'], '-createdAt'),
            status: Type.Optional(Status),
            applicationId: Type.Optional(Uuid('Filter by application.')),
            apiId: Type.Optional(Slug('Filter by API.')),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(SubscriptionView), ...errorResponses() },
      },
    },
    async (request) => listSubscriptions(envScope(request, deps.db), request.query),
  );

  app.get(
    `${base}/:subId`,
    {
      config: { action: 'subscriptions:read' },
      schema: {
        tags: ['subscriptions'],
        summary: 'Get a subscription',
        params: SubParams,
        response: { 200: SubscriptionView, ...errorResponses() },
      },
    },
    async (request) => subscriptionView(await findSubscription(envScope(request, deps.db), request.params.subId)),
  );

  const ReasonBody = Type.Object(
    { reason: Type.Optional(Type.String({ maxLength: 1000 })) },
    { additionalProperties: false },
  );
  for (const [verb, action, summary] of [
    ['approve', 'subscriptions:review', 'Accept a pending subscription'],
    ['reject', 'subscriptions:review', 'Reject a pending subscription'],
    ['close', 'subscriptions:write', 'Close a subscription: its keys stop working'],
  ] as const) {
    app.post(
      `${base}/:subId/${verb}`,
      {
        config: { action },
        schema: {
          tags: ['subscriptions'],
          summary,
          params: SubParams,
          body: Type.Optional(ReasonBody),
          response: { 200: SubscriptionView, ...errorResponses(409) },
        },
      },
      async (request) =>
        subscriptionView(
          await transition(
            envScope(request, deps.db),
            request.params.subId,
            verb,
            request.body?.reason,
            deps.subscriptionListener,
          ),
        ),
    );
  }

  app.post(
    `${base}/:subId/api-keys`,
    {
      config: { action: 'apikeys:write' },
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key (shown once, stored as a hash)',
        params: SubParams,
        body: Type.Optional(
          Type.Object({ expiresAt: Type.Optional(Timestamp('Optional expiry.')) }, { additionalProperties: false }),
        ),
        response: { 201: NewKey, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const { row, key } = await createKey(envScope(request, deps.db), request.params.subId, request.body ?? {});
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ ...keyView(row), key });
    },
  );

  app.get(
    `${base}/:subId/api-keys`,
    {
      config: { action: 'apikeys:read' },
      schema: {
        tags: ['api-keys'],
        summary: 'List the keys of a subscription (never the keys themselves)',
        params: SubParams,
        querystring: Type.Object(
          { ...PageQueryFields, includeRevoked: Type.Optional(Type.Boolean({ default: false })) },
          { additionalProperties: false },
        ),
        response: { 200: Page(KeyView), ...errorResponses() },
      },
    },
    async (request) => listKeys(envScope(request, deps.db), request.params.subId, request.query),
  );

  app.delete(
    `${base}/:subId/api-keys/:keyId`,
    {
      config: { action: 'apikeys:write' },
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke a key at once',
        params: KeyParams,
        response: { 204: NoContent, ...errorResponses() },
      },
    },
    async (request, reply) => {
      await revokeKey(envScope(request, deps.db), request.params.subId, request.params.keyId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    `${base}/:subId/api-keys/:keyId/rotate`,
    {
      config: { action: 'apikeys:write' },
      schema: {
        tags: ['api-keys'],
        summary: 'Rotate a key: a new key now, the old one valid for the grace period',
        params: KeyParams,
        body: Type.Optional(
          Type.Object(
            {
              gracePeriod: Type.Optional(
                Type.String({
                  pattern: DURATION_PATTERN,
                  default: '24h',
                  description: 'How long the old key keeps working (0s: revoke now; at most 30d).',
                }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: {
          201: Type.Object({ ...NewKey.properties, previous: KeyView }, { additionalProperties: false }),
          ...errorResponses(409),
        },
      },
    },
    async (request, reply) => {
      const grace = parseDuration(request.body?.gracePeriod ?? '24h');
      const { row, key, old } = await rotateKey(
        envScope(request, deps.db),
        request.params.subId,
        request.params.keyId,
        grace,
      );
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ ...keyView(row), key, previous: keyView(old) });
    },
  );
}
