import { DURATION_PATTERN, parseDuration } from '@gatehouse/core';
import Type from 'typebox';
import { actorOf, principalOf } from '../auth/context.js';
import { clearSessionCookie } from '../auth/cookie-session.js';
import { PASSWORD_MAX_LENGTH } from '../auth/passwords.js';
import {
  Email,
  errorResponses,
  Name,
  NoContent,
  NullableTimestamp,
  Page,
  PageQueryFields,
  Timestamp,
  Uuid,
} from '../http/schemas.js';
import { createPat, deletePat, listPats, login, revokeToken, tokenView } from '../services/sessions.js';
import { getUser, userView } from '../services/users.js';
import { type App, type RouteDeps, typed } from './deps.js';
import { UserView } from './users.js';

const TokenView = Type.Object(
  {
    id: Uuid('Token id.'),
    name: Type.String(),
    prefix: Type.String({ description: 'First characters of the token, to recognise it.' }),
    expiresAt: Timestamp('When the token stops working.'),
    lastUsedAt: NullableTimestamp('Last use (minute precision).'),
    createdAt: Timestamp('Creation time.'),
  },
  { additionalProperties: false },
);

export function authRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  app.post(
    '/api/v1/auth/login',
    {
      config: { action: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with e-mail and password',
        description:
          'Answers a bearer token for `Authorization: Bearer`. Failed attempts are throttled per account and per address.',
        security: [],
        body: Type.Object(
          { email: Email, password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            { token: Type.String(), expiresAt: Timestamp('Session expiry.') },
            { additionalProperties: false },
          ),
          ...errorResponses(),
        },
      },
    },
    async (request, reply) => {
      const result = await login(deps.db, deps.throttle, {
        email: request.body.email,
        password: request.body.password,
        address: request.ip,
        sessionTtlMs: deps.sessionTtlMs,
      });
      reply.header('cache-control', 'no-store');
      return { token: result.token, expiresAt: result.expiresAt };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { action: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'End the current session (or revoke the token used)',
        response: { 204: NoContent, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await revokeToken(deps.db, principal.tokenId);
      if (principal.viaCookie) clearSessionCookie(request, reply);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/users/me',
    {
      config: { action: 'self' },
      schema: { tags: ['auth'], summary: 'The signed-in user', response: { 200: UserView, ...errorResponses() } },
    },
    async (request) => userView(await getUser(deps.db, deps.orgId, principalOf(request).userId)),
  );

  app.get(
    '/api/v1/users/me/tokens',
    {
      config: { action: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'List your personal access tokens (never the secrets)',
        querystring: Type.Object(PageQueryFields, { additionalProperties: false }),
        response: { 200: Page(TokenView), ...errorResponses() },
      },
    },
    async (request) => listPats(deps.db, principalOf(request).userId, request.query.limit ?? 20, request.query.cursor),
  );

  app.post(
    '/api/v1/users/me/tokens',
    {
      config: { action: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'Create a personal access token for automation',
        description:
          'The token is in this answer only; it is stored as a hash. Expiry: `expiresAt`, or `expiresIn` (default 90d, at most one year).',
        body: Type.Object(
          {
            name: Name('What the token is for.'),
            expiresAt: Type.Optional(Timestamp('Expiry time.')),
            expiresIn: Type.Optional(
              Type.String({ pattern: DURATION_PATTERN, description: 'Lifetime such as `30d`.' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object(
            { ...TokenView.properties, token: Type.String({ description: 'Shown once.' }) },
            { additionalProperties: false },
          ),
          ...errorResponses(),
        },
      },
    },
    async (request, reply) => {
      const { row, token } = await createPat(deps.db, actorOf(request), {
        name: request.body.name,
        expiresAt: request.body.expiresAt,
        expiresInMs: request.body.expiresIn ? parseDuration(request.body.expiresIn) : undefined,
      });
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ ...tokenView(row), token });
    },
  );

  app.delete(
    '/api/v1/users/me/tokens/:tokenId',
    {
      config: { action: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'Revoke one of your personal access tokens',
        params: Type.Object({ tokenId: Uuid('Token id.') }, { additionalProperties: false }),
        response: { 204: NoContent, ...errorResponses() },
      },
    },
    async (request, reply) => {
      await deletePat(deps.db, actorOf(request), request.params.tokenId);
      return reply.code(204).send(null);
    },
  );
}
