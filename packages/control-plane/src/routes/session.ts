/**
 * Console sign-in: the same accounts and throttled login as POST /auth/login, but the session lives
 * in an HttpOnly cookie (auth/cookie-session.ts; POST /auth/logout ends it), and the console learns what it may offer from
 * GET /auth/session (the server still checks every call against auth/permissions.ts).
 */
import { and, eq } from 'drizzle-orm';
import Type from 'typebox';
import { principalOf } from '../auth/context.js';
import { assertSameOrigin, csrfTokenFor, SESSION_COOKIE, setSessionCookie } from '../auth/cookie-session.js';
import { PASSWORD_MAX_LENGTH } from '../auth/passwords.js';
import { type Action, isAllowed, PERMISSIONS, ROLES, type Role } from '../auth/permissions.js';
import { environments, memberships } from '../db/schema.js';
import { Email, errorResponses, StringEnum, Timestamp } from '../http/schemas.js';
import { login } from '../services/sessions.js';
import { getUser, userView } from '../services/users.js';
import { type App, type RouteDeps, typed } from './deps.js';
import { UserView } from './users.js';

const USER_ACTIONS = Object.keys(PERMISSIONS).filter((a) => {
  const scope = PERMISSIONS[a as Action].scope;
  return scope !== 'public' && scope !== 'gateway';
}) as Action[];

const SessionView = Type.Object(
  {
    user: UserView,
    csrfToken: Type.Union([Type.String(), Type.Null()], {
      description: 'Send as X-CSRF-Token on state-changing calls made with the session cookie; null for bearer tokens.',
    }),
    platformActions: Type.Array(Type.String(), { description: 'Actions allowed outside environments.' }),
    environments: Type.Array(
      Type.Object(
        {
          id: Type.String({ description: 'Environment id (slug).' }),
          name: Type.String(),
          role: StringEnum(ROLES, { description: 'Your role in it.' }),
          actions: Type.Array(Type.String(), { description: 'Actions the caller may take in it.' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export function sessionRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);

  app.post(
    '/api/v1/auth/session',
    {
      config: { action: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in for the browser console (sets an HttpOnly session cookie)',
        description: `Sets the \`${SESSION_COOKIE}\` cookie (HttpOnly, SameSite=Strict, Secure over TLS). Calls authenticated by it that change state need the \`X-CSRF-Token\` answered here. Cross-site requests are refused.`,
        security: [],
        body: Type.Object(
          { email: Email, password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ csrfToken: Type.String(), expiresAt: Timestamp('Session expiry.') }),
          ...errorResponses(),
        },
      },
    },
    async (request, reply) => {
      assertSameOrigin(request);
      const result = await login(deps.db, deps.throttle, {
        email: request.body.email,
        password: request.body.password,
        address: request.ip,
        sessionTtlMs: deps.sessionTtlMs,
      });
      setSessionCookie(request, reply, result.token, new Date(result.expiresAt));
      reply.header('cache-control', 'no-store');
      return { csrfToken: csrfTokenFor(result.token), expiresAt: result.expiresAt };
    },
  );

  app.get(
    '/api/v1/auth/session',
    {
      config: { action: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'Who is signed in, and what they may do in each environment',
        response: { 200: SessionView, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const user = userView(await getUser(deps.db, deps.orgId, principal.userId));
      const rows = await deps.db
        .select({ slug: environments.slug, name: environments.name, role: memberships.role })
        .from(environments)
        .leftJoin(memberships, and(eq(memberships.envId, environments.id), eq(memberships.userId, principal.userId)))
        .where(eq(environments.orgId, deps.orgId))
        .orderBy(environments.slug);
      const envs = rows.flatMap((row) => {
        const role = (principal.isAdmin ? 'admin' : row.role) as Role | null;
        if (!role) return [];
        const actions = USER_ACTIONS.filter((a) => PERMISSIONS[a].scope === 'env' && isAllowed(a, principal, role));
        return [{ id: row.slug, name: row.name, role, actions }];
      });
      reply.header('cache-control', 'no-store');
      return {
        user,
        csrfToken: principal.viaCookie && principal.sessionToken ? csrfTokenFor(principal.sessionToken) : null,
        platformActions: USER_ACTIONS.filter(
          (a) => PERMISSIONS[a].scope !== 'env' && isAllowed(a, principal, undefined),
        ),
        environments: envs,
      };
    },
  );
}
