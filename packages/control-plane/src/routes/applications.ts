import Type from 'typebox';
import { envScope } from '../auth/context.js';
import { ifMatchOf, setEtag } from '../http/etag.js';
import {
  Description,
  EnvParams,
  errorResponses,
  Name,
  NoContent,
  Page,
  PageQueryFields,
  Slug,
  SortParam,
  Timestamp,
  Uuid,
} from '../http/schemas.js';
import {
  applicationView,
  createApplication,
  deleteApplication,
  findApplication,
  listApplications,
  updateApplication,
} from '../services/applications.js';
import { subscribe, subscriptionView } from '../services/subscriptions.js';
import { type App, type RouteDeps, typed } from './deps.js';
import { SubscriptionView } from './subscriptions.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) => Type.Union([s, Type.Null()]);
const ClientId = Type.String({
  minLength: 1,
  maxLength: 255,
  description: 'OAuth client id matched by JWT/OAuth plans; unique per environment.',
});

const ApplicationView = Type.Object(
  {
    id: Uuid('Application id.'),
    name: Type.String(),
    description: Nullable(Type.String()),
    ownerId: Uuid('User who owns the application (its creator).'),
    clientId: Nullable(Type.String()),
    createdAt: Timestamp('Creation time.'),
    updatedAt: Timestamp('Last change.'),
  },
  { additionalProperties: false },
);
const AppParams = Type.Object(
  { env: EnvParams.properties.env, appId: Uuid('Application id.') },
  { additionalProperties: false },
);

export function applicationRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  const base = '/api/v1/environments/:env/applications';

  app.get(
    base,
    {
      config: { action: 'applications:read' },
      schema: {
        tags: ['applications'],
        summary: 'List applications (consumers: their own)',
        params: EnvParams,
        querystring: Type.Object(
          {
            ...PageQueryFields,
            sort: SortParam(['name', 'createdAt'], 'name'),
            q: Type.Optional(Type.String({ maxLength: 200 })),
            ownerId: Type.Optional(Uuid('Only applications of this owner.')),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(ApplicationView), ...errorResponses() },
      },
    },
    async (request) => listApplications(envScope(request, deps.db), request.query),
  );

  app.post(
    base,
    {
      config: { action: 'applications:write' },
      schema: {
        tags: ['applications'],
        summary: 'Create an application owned by you',
        params: EnvParams,
        body: Type.Object(
          { name: Name('Display name.'), description: Type.Optional(Description), clientId: Type.Optional(ClientId) },
          { additionalProperties: false },
        ),
        response: { 201: ApplicationView, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const row = await createApplication(envScope(request, deps.db), request.body);
      setEtag(reply, row.id, row.rowVersion);
      return reply.code(201).send(applicationView(row));
    },
  );

  app.get(
    `${base}/:appId`,
    {
      config: { action: 'applications:read' },
      schema: {
        tags: ['applications'],
        summary: 'Get an application',
        params: AppParams,
        response: { 200: ApplicationView, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const row = await findApplication(envScope(request, deps.db), request.params.appId);
      setEtag(reply, row.id, row.rowVersion);
      return applicationView(row);
    },
  );

  app.patch(
    `${base}/:appId`,
    {
      config: { action: 'applications:write' },
      schema: {
        tags: ['applications'],
        summary: 'Change an application',
        params: AppParams,
        body: Type.Object(
          {
            name: Type.Optional(Name('Display name.')),
            description: Type.Optional(Nullable(Description)),
            clientId: Type.Optional(Nullable(ClientId)),
          },
          { additionalProperties: false },
        ),
        response: { 200: ApplicationView, ...errorResponses(409, 412) },
      },
    },
    async (request, reply) => {
      const row = await updateApplication(
        envScope(request, deps.db),
        request.params.appId,
        ifMatchOf(request),
        request.body,
      );
      setEtag(reply, row.id, row.rowVersion);
      return applicationView(row);
    },
  );

  app.delete(
    `${base}/:appId`,
    {
      config: { action: 'applications:write' },
      schema: {
        tags: ['applications'],
        summary: 'Delete an application with its subscriptions and keys',
        params: AppParams,
        response: { 204: NoContent, ...errorResponses(412) },
      },
    },
    async (request, reply) => {
      await deleteApplication(envScope(request, deps.db), request.params.appId, ifMatchOf(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    `${base}/:appId/subscriptions`,
    {
      config: { action: 'subscriptions:write' },
      schema: {
        tags: ['subscriptions'],
        summary: 'Subscribe the application to a plan',
        description:
          'Accepted at once on `auto` plans, `pending` on `manual` ones. Takes effect on gateways without a deployment.',
        params: AppParams,
        body: Type.Object({ apiId: Slug('API id.'), planId: Slug('Plan id.') }, { additionalProperties: false }),
        response: { 201: SubscriptionView, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const row = await subscribe(envScope(request, deps.db), request.params.appId, request.body);
      return reply.code(201).send(subscriptionView(row));
    },
  );
}
