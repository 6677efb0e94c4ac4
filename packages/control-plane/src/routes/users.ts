import Type from 'typebox';
import { actorOf } from '../auth/context.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/passwords.js';
import { ifMatchOf, setEtag } from '../http/etag.js';
import { Email, errorResponses, Name, Page, PageQueryFields, SortParam, Timestamp, Uuid } from '../http/schemas.js';
import { createUser, getUser, listUsers, updateUser, userView } from '../services/users.js';
import { type App, type RouteDeps, typed } from './deps.js';

export const UserView = Type.Object(
  {
    id: Uuid('User id.'),
    email: Type.String(),
    name: Type.String(),
    isAdmin: Type.Boolean({
      description: 'Platform administrator: manages users and environments, admin in every environment.',
    }),
    disabled: Type.Boolean(),
    createdAt: Timestamp('Creation time.'),
    updatedAt: Timestamp('Last change.'),
  },
  { additionalProperties: false },
);

const Password = Type.String({
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  description: `At least ${PASSWORD_MIN_LENGTH} characters.`,
});
const UserParams = Type.Object({ userId: Uuid('User id.') }, { additionalProperties: false });

export function userRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  app.get(
    '/api/v1/users',
    {
      config: { action: 'users:read' },
      schema: {
        tags: ['users'],
        summary: 'List users',
        querystring: Type.Object(
          {
            ...PageQueryFields,
            sort: SortParam(['email', 'createdAt'], 'email'),
            q: Type.Optional(Type.String({ maxLength: 200, description: 'Substring of e-mail or name.' })),
            disabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(UserView), ...errorResponses() },
      },
    },
    async (request) => listUsers(deps.db, deps.orgId, request.query),
  );

  app.post(
    '/api/v1/users',
    {
      config: { action: 'users:write' },
      schema: {
        tags: ['users'],
        summary: 'Create a user',
        body: Type.Object(
          {
            email: Email,
            name: Type.Optional(Name('Display name.')),
            password: Password,
            isAdmin: Type.Optional(Type.Boolean({ default: false })),
          },
          { additionalProperties: false },
        ),
        response: { 201: UserView, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const row = await createUser(deps.db, deps.orgId, actorOf(request), request.body);
      setEtag(reply, row.id, row.rowVersion);
      return reply.code(201).send(userView(row));
    },
  );

  app.get(
    '/api/v1/users/:userId',
    {
      config: { action: 'users:read' },
      schema: {
        tags: ['users'],
        summary: 'Get a user',
        params: UserParams,
        response: { 200: UserView, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const row = await getUser(deps.db, deps.orgId, request.params.userId);
      setEtag(reply, row.id, row.rowVersion);
      return userView(row);
    },
  );

  app.patch(
    '/api/v1/users/:userId',
    {
      config: { action: 'users:write' },
      schema: {
        tags: ['users'],
        summary:
          'Change a user: name, admin flag, password reset, or disable (`disabled: true` also ends every session and token)',
        params: UserParams,
        body: Type.Object(
          {
            name: Type.Optional(Name('Display name.')),
            isAdmin: Type.Optional(Type.Boolean()),
            disabled: Type.Optional(Type.Boolean()),
            password: Type.Optional(Password),
          },
          { additionalProperties: false },
        ),
        response: { 200: UserView, ...errorResponses(412) },
      },
    },
    async (request, reply) => {
      const row = await updateUser(
        deps.db,
        deps.orgId,
        actorOf(request),
        request.params.userId,
        ifMatchOf(request),
        request.body,
      );
      setEtag(reply, row.id, row.rowVersion);
      return userView(row);
    },
  );
}
