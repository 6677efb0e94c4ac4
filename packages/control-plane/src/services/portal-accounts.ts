/**
 * Portal sign-up and e-mail verification (issue #15). A signed-up consumer is a user plus a
 * `consumer` membership in the portal's environment; until the account is active the user row
 * is disabled (login answers as for a wrong password) and has no membership.
 *
 * No answer tells whether an address has an account: a known address gets the same 202 as a new
 * one (and, with mail configured, an "already registered" mail); the password is hashed in both
 * cases and mails leave in the background, so timing does not tell them apart either.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@gatehouse/core';
import { GatewayError } from '@gatehouse/core';
import { and, eq, sql } from 'drizzle-orm';
import { hashPassword, passwordWeakness } from '../auth/passwords.js';
import type { LoginThrottle } from '../auth/throttle.js';
import type { Database } from '../db/connect.js';
import { memberships, portalSignups, users } from '../db/schema.js';
import { isUniqueViolation } from '../http/errors.js';
import { invalid } from '../http/validation.js';
import { deliver, type Mail, type Mailer } from '../mail/mailer.js';
import { messages, type PortalRef } from '../mail/messages.js';
import { recordAudit } from './audit.js';
import { findPortal, type PortalEnv, type PortalSettingsReader } from './portal-directory.js';
import { consumeToken, issueToken, peekToken, TOKEN_TTL_MS } from './portal-tokens.js';
import { inTransaction, onCommit } from './tx.js';

export interface PortalThrottleLimits {
  /** Sign-up or reset requests from one address per window before it is locked. */
  perAddress: number;
  /** Requests naming one e-mail address (from anywhere) per window: no mail-bombing a victim. */
  perEmail: number;
}

export const DEFAULT_PORTAL_LIMITS: PortalThrottleLimits = { perAddress: 20, perEmail: 3 };

export interface AccountsContext {
  db: Database;
  orgId: string;
  mailer: Mailer;
  logger?: Logger | undefined;
  /** Public base URL for links in mails; configured, never taken from a request's Host header. */
  baseUrl: string;
  throttle: LoginThrottle;
  limits: PortalThrottleLimits;
  settings: PortalSettingsReader;
}

export type SignupStatus = 'verification_sent' | 'pending_approval' | 'active';
const ANSWER = { unverified: 'verification_sent', pending: 'pending_approval', active: 'active' } as const;
const INVALID_TOKEN = 'is not valid (unknown, already used or expired)';

export function refOf(ctx: AccountsContext, env: PortalEnv): PortalRef {
  return { baseUrl: ctx.baseUrl, envSlug: env.slug, envName: env.name };
}

/** Sends after the transaction commits (never for a rolled-back change), in the background. */
export function mailAfterCommit(ctx: AccountsContext, tx: Database, mail: Mail): void {
  onCommit(tx, () => void deliver(ctx.mailer, ctx.logger, mail));
}

export async function throttleMail(ctx: AccountsContext, what: string, email: string, address: string) {
  await ctx.throttle.attempt(
    [
      { account: `portal-${what}:address`, address, free: ctx.limits.perAddress },
      { account: `portal-${what}:${email}`, address: '*', free: ctx.limits.perEmail },
    ],
    'Too many requests; try again later.',
  );
}

export async function signup(
  ctx: AccountsContext,
  envSlug: string,
  input: { email: string; password: string; name: string; invitation?: string | undefined },
  address: string,
): Promise<{ status: SignupStatus }> {
  const env = await findPortal(ctx.db, ctx.orgId, envSlug, ctx.settings);
  const email = input.email.trim().toLowerCase();
  // Before the throttle: a weak password costs nothing (no hash, no mail) and should not lock anyone out.
  const weakness = passwordWeakness(input.password, email);
  if (weakness) throw invalid('body.password', weakness);
  await throttleMail(ctx, 'signup', email, address);
  const invitation = input.invitation ? await peekToken(ctx.db, 'invitation', env.id, input.invitation) : undefined;
  if (input.invitation !== undefined && (!invitation || invitation.email !== email))
    throw invalid('body.invitation', `${INVALID_TOKEN}, or for another e-mail address`);
  if (env.signup === 'invitation' && !invitation)
    throw invalid('body.invitation', 'is required: sign-up is by invitation');
  // Hashed before looking the address up: a known address costs the same time as a new one.
  const passwordHash = await hashPassword(input.password);
  const name = input.name.trim();
  const status = !ctx.mailer.configured ? 'pending' : invitation ? 'active' : 'unverified';
  try {
    return await inTransaction(ctx.db, async (tx) => {
      const [existing] = await tx.select().from(users).where(eq(users.email, email)).limit(1);
      if (existing) return alreadyRegistered(ctx, tx, env, existing.id, email, Boolean(invitation));
      if (invitation && !(await consumeToken(tx, 'invitation', env.id, input.invitation!)))
        throw invalid('body.invitation', INVALID_TOKEN);
      const userId = randomUUID();
      await tx
        .insert(users)
        .values({ id: userId, orgId: ctx.orgId, email, name, passwordHash, disabled: status !== 'active' });
      const id = randomUUID();
      await tx.insert(portalSignups).values({ id, envId: env.id, userId, email, name, status });
      if (status === 'active') await tx.insert(memberships).values({ envId: env.id, userId, role: 'consumer' });
      if (status === 'unverified') {
        const { token } = await issueToken(tx, { kind: 'verify', envId: env.id, email, userId });
        mailAfterCommit(ctx, tx, messages.verify(refOf(ctx, env), email, token, TOKEN_TTL_MS.verify / 3_600_000));
      }
      await recordAudit(tx, null, {
        envId: env.id,
        action: 'portal.signup',
        entityType: 'portal_signup',
        entityId: id,
        after: { userId, email, status, invited: Boolean(invitation) },
      });
      return { status: ANSWER[status] };
    });
  } catch (error) {
    // Two sign-ups for one new address at once: the loser answers as for a known address.
    if (isUniqueViolation(error)) return { status: ctx.mailer.configured ? 'verification_sent' : 'pending_approval' };
    throw error;
  }
}

async function alreadyRegistered(
  ctx: AccountsContext,
  tx: Database,
  env: PortalEnv,
  userId: string,
  email: string,
  invited: boolean,
): Promise<{ status: SignupStatus }> {
  // An invitation proves the mailbox is the caller's: telling them is no leak.
  if (invited) throw new GatewayError('conflict', { detail: 'This e-mail address already has an account; sign in.' });
  if (!ctx.mailer.configured) return { status: 'pending_approval' };
  const [pending] = await tx
    .select({ status: portalSignups.status })
    .from(portalSignups)
    .where(and(eq(portalSignups.envId, env.id), eq(portalSignups.userId, userId)))
    .limit(1);
  const ref = refOf(ctx, env);
  if (pending?.status === 'unverified') {
    // Lost the first mail: send a fresh link (the password of this attempt is not taken).
    const { token } = await issueToken(tx, { kind: 'verify', envId: env.id, email, userId });
    mailAfterCommit(ctx, tx, messages.verify(ref, email, token, TOKEN_TTL_MS.verify / 3_600_000));
  } else {
    mailAfterCommit(ctx, tx, messages.alreadyRegistered(ref, email));
  }
  return { status: 'verification_sent' };
}

export async function verifyEmail(
  ctx: AccountsContext,
  envSlug: string,
  token: string,
): Promise<{ status: 'active' | 'pending_approval' }> {
  const env = await findPortal(ctx.db, ctx.orgId, envSlug, ctx.settings);
  return inTransaction(ctx.db, async (tx) => {
    const used = await consumeToken(tx, 'verify', env.id, token);
    if (!used?.userId) throw invalid('body.token', INVALID_TOKEN);
    const [row] = await tx
      .select()
      .from(portalSignups)
      .where(
        and(
          eq(portalSignups.envId, env.id),
          eq(portalSignups.userId, used.userId),
          eq(portalSignups.status, 'unverified'),
        ),
      )
      .limit(1);
    if (!row) throw invalid('body.token', INVALID_TOKEN);
    const status = env.signup === 'open' ? 'active' : 'pending';
    if (status === 'active') await activate(tx, env.id, used.userId);
    await tx.update(portalSignups).set({ status, updatedAt: new Date() }).where(eq(portalSignups.id, row.id));
    await recordAudit(tx, null, {
      envId: env.id,
      action: 'portal.verify_email',
      entityType: 'portal_signup',
      entityId: row.id,
      before: { status: row.status },
      after: { status },
    });
    return { status: status === 'active' ? 'active' : 'pending_approval' };
  });
}

/** The account can sign in and acts as a consumer of the environment. */
export async function activate(tx: Database, envId: string, userId: string): Promise<void> {
  await tx
    .update(users)
    .set({ disabled: false, rowVersion: sql`${users.rowVersion} + 1`, updatedAt: new Date() })
    .where(eq(users.id, userId));
  await tx.insert(memberships).values({ envId, userId, role: 'consumer' }).onConflictDoNothing();
}
