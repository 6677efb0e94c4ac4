import Type from 'typebox';
import { actorOf, envScope } from '../auth/context.js';
import { ROLES } from '../auth/permissions.js';
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
  StringEnum,
  Timestamp,
  Uuid,
} from '../http/schemas.js';
import {
  addMember,
  createEnvironment,
  environmentView,
  getEnvironment,
  getMember,
  listEnvironments,
  listMembers,
  memberKey,
  memberView,
  removeMember,
  updateEnvironment,
  updateMember,
} from '../services/environments.js';
import { type App, type RouteDeps, typed } from './deps.js';

const Role = StringEnum(ROLES, {
  description:
    'admin: everything in the environment; publisher: APIs, plans, deployments, subscriptions; viewer: read-only; consumer: own applications, subscriptions and keys.',
});

const EnvironmentView = Type.Object(
  {
    id: Slug('Environment slug.'),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    role: Type.Optional(Role),
    createdAt: Timestamp('Creation time.'),
    updatedAt: Timestamp('Last change.'),
  },
  { additionalProperties: false },
);

const MemberView = Type.Object(
  {
    userId: Uuid('User id.'),
    email: Type.String(),
    name: Type.String(),
    role: Role,
    createdAt: Timestamp('Since when.'),
    updatedAt: Timestamp('Last change.'),
  },
  { additionalProperties: false },
);
const MemberParams = Type.Object(
  { env: EnvParams.properties.env, userId: Uuid('User id.') },
  { additionalProperties: false },
);

export function environmentRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  app.get(
    '/api/v1/environments',
    {
      config: { action: 'environments:list' },
      schema: {
        tags: ['environments'],
        summary: 'List the environments you are a member of (all, for platform admins)',
        querystring: Type.Object({ ...PageQueryFields }, { additionalProperties: false }),
        response: { 200: Page(EnvironmentView), ...errorResponses() },
      },
    },
    async (request) => listEnvironments(deps.db, deps.orgId, actorOf(request), request.query),
  );

  app.post(
    '/api/v1/environments',
    {
      config: { action: 'environments:write' },
      schema: {
        tags: ['environments'],
        summary: 'Create an environment',
        body: Type.Object(
          {
            id: Slug('Environment slug, used in URLs.'),
            name: Type.Optional(Name('Display name.')),
            description: Type.Optional(Description),
          },
          { additionalProperties: false },
        ),
        response: { 201: EnvironmentView, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const row = await createEnvironment(deps.db, deps.orgId, actorOf(request), request.body);
      setEtag(reply, row.id, row.rowVersion);
      return reply.code(201).send(environmentView(row));
    },
  );

  app.get(
    '/api/v1/environments/:env',
    {
      config: { action: 'environments:read' },
      schema: {
        tags: ['environments'],
        summary: 'Get an environment',
        params: EnvParams,
        response: { 200: EnvironmentView, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const scope = envScope(request, deps.db);
      const row = await getEnvironment(deps.db, scope.env.id);
      setEtag(reply, row.id, row.rowVersion);
      return environmentView(row, scope.env.role);
    },
  );

  app.patch(
    '/api/v1/environments/:env',
    {
      config: { action: 'environments:write' },
      schema: {
        tags: ['environments'],
        summary: 'Rename or describe an environment',
        params: EnvParams,
        body: Type.Object(
          {
            name: Type.Optional(Name('Display name.')),
            description: Type.Optional(Type.Union([Description, Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 200: EnvironmentView, ...errorResponses(412) },
      },
    },
    async (request, reply) => {
      const row = await updateEnvironment(envScope(request, deps.db), ifMatchOf(request), request.body);
      setEtag(reply, row.id, row.rowVersion);
      return environmentView(row);
    },
  );

  app.get(
    '/api/v1/environments/:env/members',
    {
      config: { action: 'members:read' },
      schema: {
        tags: ['members'],
        summary: 'List members and their roles',
        params: EnvParams,
        querystring: Type.Object({ ...PageQueryFields, role: Type.Optional(Role) }, { additionalProperties: false }),
        response: { 200: Page(MemberView), ...errorResponses() },
      },
    },
    async (request) => listMembers(envScope(request, deps.db), request.query),
  );

  app.post(
    '/api/v1/environments/:env/members',
    {
      config: { action: 'members:write' },
      schema: {
        tags: ['members'],
        summary: 'Add a user to the environment with a role',
        params: EnvParams,
        body: Type.Object({ userId: Uuid('User id.'), role: Role }, { additionalProperties: false }),
        response: { 201: MemberView, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const row = await addMember(envScope(request, deps.db), deps.orgId, request.body);
      setEtag(reply, memberKey(row), row.m.rowVersion);
      return reply.code(201).send(memberView(row));
    },
  );

  app.get(
    '/api/v1/environments/:env/members/:userId',
    {
      config: { action: 'members:read' },
      schema: {
        tags: ['members'],
        summary: 'Get a member',
        params: MemberParams,
        response: { 200: MemberView, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const row = await getMember(deps.db, envScope(request, deps.db).env.id, request.params.userId);
      setEtag(reply, memberKey(row), row.m.rowVersion);
      return memberView(row);
    },
  );

  app.patch(
    '/api/v1/environments/:env/members/:userId',
    {
      config: { action: 'members:write' },
      schema: {
        tags: ['members'],
        summary: "Change a member's role",
        params: MemberParams,
        body: Type.Object({ role: Role }, { additionalProperties: false }),
        response: { 200: MemberView, ...errorResponses(412) },
      },
    },
    async (request, reply) => {
      const row = await updateMember(
        envScope(request, deps.db),
        ifMatchOf(request),
        request.params.userId,
        request.body.role,
      );
      setEtag(reply, memberKey(row), row.m.rowVersion);
      return memberView(row);
    },
  );

  app.delete(
    '/api/v1/environments/:env/members/:userId',
    {
      config: { action: 'members:write' },
      schema: {
        tags: ['members'],
        summary: 'Remove a member',
        params: MemberParams,
        response: { 204: NoContent, ...errorResponses(412) },
      },
    },
    async (request, reply) => {
      await removeMember(envScope(request, deps.db), ifMatchOf(request), request.params.userId);
      return reply.code(204).send(null);
    },
  );
}
