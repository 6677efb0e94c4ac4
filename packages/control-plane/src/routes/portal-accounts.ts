/** Portal accounts: public sign-up, verification and reset; env admins review sign-ups and invite. */
import Type from 'typebox';
import { actorOf, envScope } from '../auth/context.js';
import { PASSWORD_MAX_LENGTH } from '../auth/passwords.js';
import {
  Email,
  EnvParams,
  errorResponses,
  NoContent,
  NullableTimestamp,
  Page,
  PageQueryFields,
  Slug,
  StringEnum,
  Timestamp,
  Uuid,
} from '../http/schemas.js';
import { signup, verifyEmail } from '../services/portal-accounts.js';
import { acceptInvitation, invite, listInvitations, revokeInvitation } from '../services/portal-invitations.js';
import { confirmPasswordReset, requestPasswordReset } from '../services/portal-password.js';
import { listSignups, reviewSignup, SIGNUP_STATES, signupView } from '../services/portal-signups.js';
import { type App, type RouteDeps, typed } from './deps.js';

const PortalParams = Type.Object({ env: Slug('Environment slug.') }, { additionalProperties: false });
// Bounded: a token is `ghm_` plus 43 base64url characters; nothing longer is ever valid.
const Token = Type.String({ minLength: 1, maxLength: 128, description: 'The one-time token from the mail link.' });
const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: 'New password.' });
// One line of printable text: names appear in mails and the console.
const PersonName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  description: 'Display name.',
});
const Reason = Type.String({ maxLength: 1000, pattern: '^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f]*$' });

const SignupView = Type.Object(
  {
    id: Uuid('Sign-up id.'),
    email: Type.String(),
    name: Type.String(),
    status: StringEnum(SIGNUP_STATES),
    reason: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp('When they signed up.'),
    reviewedAt: NullableTimestamp('When an administrator approved or rejected it.'),
  },
  { additionalProperties: false },
);
const InvitationView = Type.Object(
  {
    id: Uuid('Invitation id.'),
    email: Type.String(),
    createdAt: Timestamp('When it was sent.'),
    expiresAt: Timestamp('When it stops working.'),
  },
  { additionalProperties: false },
);
const noStore = { 'cache-control': 'no-store' };

export function portalAccountRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  const ctx = deps.accounts;
  const pub = { tags: ['portal'], security: [] };

  app.post(
    '/api/v1/portal/:env/signup',
    {
      config: { action: 'public' },
      schema: {
        ...pub,
        summary: 'Sign up as a consumer of the portal',
        description:
          'Answers 202 whether or not the address already has an account (a known address gets a mail instead). Throttled per address and per e-mail.',
        params: PortalParams,
        body: Type.Object(
          { email: Email, password: Password, name: PersonName, invitation: Type.Optional(Token) },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object(
            { status: StringEnum(['verification_sent', 'pending_approval', 'active'] as const) },
            { additionalProperties: false },
          ),
          ...errorResponses(409),
        },
      },
    },
    async (request, reply) => {
      const result = await signup(ctx, request.params.env, request.body, request.ip);
      return reply.code(202).headers(noStore).send(result);
    },
  );

  app.post(
    '/api/v1/portal/:env/verify-email',
    {
      config: { action: 'public' },
      schema: {
        ...pub,
        summary: 'Confirm an e-mail address with the token from the mail',
        params: PortalParams,
        body: Type.Object({ token: Token }, { additionalProperties: false }),
        response: {
          200: Type.Object(
            { status: StringEnum(['active', 'pending_approval'] as const) },
            { additionalProperties: false },
          ),
          ...errorResponses(),
        },
      },
    },
    async (request, reply) =>
      reply.headers(noStore).send(await verifyEmail(ctx, request.params.env, request.body.token)),
  );

  app.post(
    '/api/v1/portal/:env/password-reset',
    {
      config: { action: 'public' },
      schema: {
        ...pub,
        summary: 'Mail a password-reset link',
        description: 'Always 202: the answer does not tell whether the address has an account.',
        params: PortalParams,
        body: Type.Object({ email: Email }, { additionalProperties: false }),
        response: { 202: NoContent, ...errorResponses() },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(ctx, request.params.env, request.body.email, request.ip);
      // No body at all (send(null) would write `null`): the same empty answer for every address.
      return reply
        .code(202)
        .headers(noStore)
        .send(undefined as unknown as null);
    },
  );

  app.post(
    '/api/v1/portal/:env/password-reset/confirm',
    {
      config: { action: 'public' },
      schema: {
        ...pub,
        summary: 'Set a new password with the token from the reset mail',
        description: 'Ends every session of the account.',
        params: PortalParams,
        body: Type.Object({ token: Token, password: Password }, { additionalProperties: false }),
        response: { 204: NoContent, ...errorResponses() },
      },
    },
    async (request, reply) => {
      await confirmPasswordReset(ctx, request.params.env, request.body.token, request.body.password);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/environments/:env/portal/signups',
    {
      config: { action: 'portal-signups:read' },
      schema: {
        tags: ['portal'],
        summary: 'List portal sign-ups (e.g. `status=pending` to review)',
        params: EnvParams,
        querystring: Type.Object(
          { ...PageQueryFields, status: Type.Optional(StringEnum(SIGNUP_STATES)) },
          { additionalProperties: false },
        ),
        response: { 200: Page(SignupView), ...errorResponses() },
      },
    },
    async (request) => listSignups(envScope(request, deps.db), request.query),
  );

  for (const verb of ['approve', 'reject'] as const) {
    app.post(
      `/api/v1/environments/:env/portal/signups/:signupId/${verb}`,
      {
        config: { action: 'portal-signups:write' },
        schema: {
          tags: ['portal'],
          summary: verb === 'approve' ? 'Approve a pending sign-up' : 'Reject a sign-up (its account is removed)',
          params: Type.Object(
            { env: Slug('Environment slug.'), signupId: Uuid('Sign-up id.') },
            { additionalProperties: false },
          ),
          body: Type.Optional(Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false })),
          response: { 200: SignupView, ...errorResponses(409) },
        },
      },
      async (request) =>
        signupView(
          await reviewSignup(ctx, envScope(request, deps.db), request.params.signupId, verb, request.body?.reason),
        ),
    );
  }

  app.post(
    '/api/v1/environments/:env/portal/invitations',
    {
      config: { action: 'portal-signups:write' },
      schema: {
        tags: ['portal'],
        summary: 'Invite someone to sign up, by e-mail',
        description:
          'The invitation link is mailed; without mail configured it is in this answer (`signupUrl`, shown once) to pass on.',
        params: EnvParams,
        body: Type.Object({ email: Email }, { additionalProperties: false }),
        response: {
          201: Type.Object(
            {
              email: Type.String(),
              expiresAt: Timestamp('When the invitation stops working.'),
              mailed: Type.Boolean(),
              signupUrl: Type.Union([Type.String(), Type.Null()]),
            },
            { additionalProperties: false },
          ),
          ...errorResponses(409),
        },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .headers(noStore)
        .send(await invite(ctx, envScope(request, deps.db), request.body.email)),
  );

  app.get(
    '/api/v1/environments/:env/portal/invitations',
    {
      config: { action: 'portal-signups:read' },
      schema: {
        tags: ['portal'],
        summary: 'List open invitations (not used, not expired, not revoked)',
        params: EnvParams,
        querystring: Type.Object(PageQueryFields, { additionalProperties: false }),
        response: { 200: Page(InvitationView), ...errorResponses() },
      },
    },
    async (request) => listInvitations(envScope(request, deps.db), request.query),
  );

  app.delete(
    '/api/v1/environments/:env/portal/invitations/:invitationId',
    {
      config: { action: 'portal-signups:write' },
      schema: {
        tags: ['portal'],
        summary: 'Revoke an open invitation (its link stops working at once)',
        params: Type.Object(
          { env: Slug('Environment slug.'), invitationId: Uuid('Invitation id.') },
          { additionalProperties: false },
        ),
        response: { 204: NoContent, ...errorResponses() },
      },
    },
    async (request, reply) => {
      await revokeInvitation(envScope(request, deps.db), request.params.invitationId);
      return reply.code(204).send(null);
    },
  );

  // `:portal`, not `:env`: the caller is not a member yet, and an `:env` route answers 404 to non-members.
  app.post(
    '/api/v1/portal/:portal/invitations/accept',
    {
      config: { action: 'self' },
      schema: {
        tags: ['portal'],
        summary: 'Join this environment with an invitation, as the signed-in account',
        description:
          'For someone who already has an account (e.g. a consumer of another environment): the invitation must be for their e-mail address and this environment. They become a consumer here; no second account is made.',
        params: Type.Object({ portal: Slug('Environment slug of the portal.') }, { additionalProperties: false }),
        body: Type.Object({ token: Token }, { additionalProperties: false }),
        response: {
          200: Type.Object(
            { status: StringEnum(['active'] as const), environment: Slug('The environment joined.') },
            { additionalProperties: false },
          ),
          ...errorResponses(),
        },
      },
    },
    async (request, reply) =>
      reply
        .headers(noStore)
        .send(await acceptInvitation(ctx, request.params.portal, actorOf(request), request.body.token)),
  );
}
